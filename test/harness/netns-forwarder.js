#!/usr/bin/env node
/*
 * Runs INSIDE a test network namespace (`ip netns exec <ns> node netns-forwarder.js <sock>`).
 * Listens on a UNIX socket (the filesystem is shared with the root namespace) and, per
 * connection, reads one header line `<host> <port> <timeoutMs>\n`, dials that TCP target from
 * inside the namespace and answers `OK\n` (then pipes bytes both ways) or `ERR <reason>\n`.
 * This lets the jest process (root namespace) use lab/test addresses without ever sending
 * IP traffic to a private range from the root namespace (DEVELOPERS.md, network rule).
 * Plain JS so it starts fast without ts-node.
 */
'use strict';
const net = require('net');
const fs = require('fs');

const sockPath = process.argv[2];
if (!sockPath) {
  process.stderr.write('usage: netns-forwarder.js <unix-socket-path>\n');
  process.exit(2);
}
try {
  fs.unlinkSync(sockPath);
} catch {
  /* not there */
}

const server = net.createServer((client) => {
  let head = Buffer.alloc(0);
  const onData = (chunk) => {
    head = Buffer.concat([head, chunk]);
    const nl = head.indexOf(10);
    if (nl < 0) {
      if (head.length > 512) client.destroy();
      return;
    }
    client.removeListener('data', onData);
    client.pause();
    const [host, portS, timeoutS] = head.subarray(0, nl).toString().trim().split(/\s+/);
    const rest = head.subarray(nl + 1);
    const timeoutMs = Number(timeoutS) || 10000;
    const up = net.connect({ host, port: Number(portS) });
    const timer = setTimeout(() => up.destroy(new Error(`connect timeout after ${timeoutMs} ms`)), timeoutMs);
    let connected = false;
    up.once('connect', () => {
      connected = true;
      clearTimeout(timer);
      client.write(`OK ${up.localPort}\n`);
      if (rest.length) up.write(rest);
      client.pipe(up);
      up.pipe(client);
      client.resume();
    });
    up.on('error', (e) => {
      clearTimeout(timer);
      if (connected) client.destroy();
      else client.end(`ERR ${e.code || 'ECONNECT'} ${e.message}\n`);
    });
    up.on('close', () => {
      if (connected) client.destroy();
    });
    client.on('error', () => up.destroy());
    client.on('close', () => up.destroy());
  };
  client.on('data', onData);
  client.on('error', () => {});
});
server.listen(sockPath, () => {
  fs.chmodSync(sockPath, 0o600);
  process.stdout.write('ready\n');
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
