#!/usr/bin/env node
/*
 * A tiny web "task" for harness labs: `node http-server.js <ip> <port> <text>` answers every
 * request with <text> (like the seed's nginx page `Host IP is <node ip>`). Runs inside a test
 * namespace (`ip netns exec`), started and stopped by PID by the harness.
 */
'use strict';
const http = require('http');
const [ip, port, text] = process.argv.slice(2);
const server = http.createServer((req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/plain', Connection: 'close' });
  res.end(`${text}\n`);
});
server.listen(Number(port), ip, () => process.stdout.write('ready\n'));
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
