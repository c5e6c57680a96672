/**
 * `npm run workshop -- up --labs N [--hosts h1,h2] | status | reset <lab> | down | sheets`.
 * up: each simulated host (a private libvirtd in netns swl-<ws>-<host>, e2e/host) comes up empty and
 * is measured; the labs are placed by capacity (refused with the figures, hosts taken down again,
 * before any lab object exists); then one worker process per lab, at most --parallel at once.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { hostDown, hostUp } from '../e2e/host';
import { EXIT, runMain, SwarmLabError } from '../lib/exit';
import { parseWorkshopArgs, type WorkshopArgs } from './args';
import { bootBound, labDemand, measureHost, place, HOST_RESERVE_MIB, QEMU_OVERHEAD_MIB } from './capacity';
import { checkNoCollision, hostKey, labFile, labName, resolveLabFile } from './naming';
import { writeSheets } from './sheet';
import {
  BUSY,
  effectiveStatus,
  labDir,
  labFilePath,
  listWorkshops,
  readPlan,
  readStatus,
  ROOT,
  workshopDir,
  writePlan,
  writeStatus,
  type WorkshopHost,
  type WorkshopPlan,
} from './state';
import { readRows, renderStatus } from './status-view';
import { downWorkshop, workshopLeftovers } from './teardown';

const say = (l: string): void => void process.stdout.write(`workshop: ${l}\n`);

function pickName(a: WorkshopArgs): string {
  if (a.name) return a.name;
  const all = listWorkshops();
  if (a.command === 'up') return all.length === 1 ? all[0] : 'ws';
  if (all.length === 1) return all[0];
  if (!all.length)
    throw new SwarmLabError(EXIT.state, 'no workshop on this machine', { fix: 'npm run workshop -- up --labs N' });
  throw new SwarmLabError(EXIT.usage, `several workshops (${all.join(', ')}); name one`, { fix: '--name <ws>' });
}

const NODES = 3;
const DISK_GIB = 8;
const VCPU = 1;

function workerRun(what: 'up' | 'reset' | 'verify', ws: string, lab: string): Promise<number> {
  return new Promise((resolve) => {
    const out = fs.openSync(path.join(labDir(ws, lab), 'worker.log'), 'a');
    const p = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'workshop/worker.ts', what, ws, lab], {
      cwd: ROOT,
      stdio: ['ignore', out, out],
    });
    p.on('close', (c) => {
      fs.closeSync(out);
      resolve(c ?? 1);
    });
  });
}

function showStatus(plan: WorkshopPlan): string {
  return renderStatus(
    plan,
    readRows(
      plan,
      (l) => readStatus(plan.name, l),
      (l) => labDir(plan.name, l),
    ),
  );
}

/** Run `work` for each lab, at most `bound` at once, printing the table when something changes and every 30 s. */
async function runAll(
  plan: WorkshopPlan,
  labs: readonly string[],
  bound: number,
  work: (lab: string) => Promise<number>,
): Promise<number[]> {
  const queue = [...labs];
  const codes: number[] = [];
  let last = '';
  const tick = (force = false): void => {
    const t = showStatus(plan);
    const key = t.replace(/\s+\d+m?\d*s\b/g, ''); // ignore the running clocks
    if (force || key !== last) process.stdout.write(`\n${t}\n`);
    last = key;
  };
  const timer = setInterval(() => tick(true), 30_000);
  const poll = setInterval(() => tick(), 3_000);
  const lane = async (): Promise<void> => {
    for (let lab = queue.shift(); lab; lab = queue.shift()) codes.push(await work(lab));
  };
  await Promise.all(Array.from({ length: Math.min(bound, labs.length) }, lane));
  clearInterval(timer);
  clearInterval(poll);
  tick(true);
  return codes;
}

async function up(a: WorkshopArgs, ws: string): Promise<number> {
  if (fs.existsSync(path.join(workshopDir(ws), 'workshop.json'))) {
    const old = readPlan(ws);
    const live = old.labs.map((l) => readStatus(ws, l.name)).filter((s) => s && s.phase !== 'down');
    if (live.length)
      throw new SwarmLabError(
        EXIT.state,
        `workshop ${ws} is up (${live.map((s) => `${s!.lab} ${s!.phase}`).join(', ')})`,
        {
          fix: `npm run workshop -- status, or down --name ${ws} first`,
        },
      );
  }
  const n = a.labs!;
  const hosts: WorkshopHost[] = [];
  const started: string[] = [];
  try {
    for (const h of a.hosts) {
      const key = hostKey(ws, h);
      const env = await hostUp({ lab: key, root: ROOT, timeoutS: 300 });
      started.push(key);
      const capacity = measureHost(h, env.libvirtUri, env.pool);
      say(
        `host ${h}: netns ${env.netns}, ${capacity.cpus} CPU, ${capacity.availableMiB} of ${capacity.memoryMiB} MiB available, ${capacity.diskFreeGiB} GiB free in pool ${env.pool} (machine ${capacity.machine})`,
      );
      hosts.push({
        name: h,
        key,
        netns: env.netns,
        libvirtUri: env.libvirtUri,
        pool: env.pool,
        hostDir: env.hostDir,
        capacity,
      });
    }
    const names = Array.from({ length: n }, (_, i) => labName(ws, i + 1));
    const demand = names.map((l) => labDemand(l, NODES, VCPU, a.memoryMiB, DISK_GIB));
    const placement = place(
      demand,
      hosts.map((h) => h.capacity),
      a.cpuRatio,
    );
    // The real lab files, through the lab model, and their names checked against each other per host.
    const files = names.map((l, i) => {
      const host = hosts.find((h) => h.name === placement.hostOf[l])!;
      return labFile({
        ws,
        index: i + 1,
        flavour: a.flavour,
        libvirtUri: host.libvirtUri,
        pool: host.pool,
        memoryMiB: a.memoryMiB,
        diskGiB: DISK_GIB,
        vcpu: VCPU,
      });
    });
    const labs = files.map(resolveLabFile);
    for (const h of hosts) checkNoCollision(labs.filter((l) => placement.hostOf[l.name] === h.name));
    checkNoCollision(labs);
    const machines = new Map(hosts.map((h) => [h.capacity.machine, h.capacity.cpus]));
    const parallel = a.parallel ?? [...machines.values()].reduce((s, c) => s + bootBound(c), 0);
    const plan: WorkshopPlan = {
      name: ws,
      flavour: a.flavour,
      createdAt: new Date().toISOString(),
      hosts,
      labs: names.map((l, i) => ({ name: l, index: i + 1, host: placement.hostOf[l] })),
      parallel,
      rule: `per lab ${demand[0].memoryMiB} MiB (${NODES} x (${a.memoryMiB} + ${QEMU_OVERHEAD_MIB} QEMU)), ${demand[0].vcpus} vCPU, ${demand[0].diskGiB} GiB; per machine: available memory - ${HOST_RESERVE_MIB} MiB, ${a.cpuRatio} vCPU per CPU, pool free space`,
    };
    writePlan(plan);
    files.forEach((f, i) => {
      const l = names[i];
      fs.rmSync(labDir(ws, l), { recursive: true, force: true });
      fs.mkdirSync(labDir(ws, l), { recursive: true });
      fs.writeFileSync(labFilePath(ws, l), JSON.stringify(f, null, 2) + '\n');
      writeStatus(ws, { lab: l, host: plan.labs[i].host, phase: 'queued', since: plan.createdAt, timings: {} });
    });
    say(
      `placed: ${names.map((l) => `${l} -> ${placement.hostOf[l]}`).join(', ')}; ${parallel} at once; rule: ${plan.rule}`,
    );
    writeSheets(plan);
    const codes = await runAll(plan, names, parallel, (l) =>
      workerRun('up', ws, l).finally(() => writeSheets(readPlan(ws))),
    );
    const failed = codes.filter((c) => c !== 0).length;
    say(`${n - failed} of ${n} labs ready; sheets in ${path.join(workshopDir(ws), 'index.html')}`);
    return failed ? EXIT.fail : EXIT.ok;
  } catch (e) {
    if (!fs.existsSync(path.join(workshopDir(ws), 'workshop.json')))
      for (const key of started) await hostDown({ lab: key, root: ROOT, timeoutS: 300, purge: true }); // refused: leave nothing
    throw e;
  }
}

async function reset(ws: string, lab: string): Promise<number> {
  const plan = readPlan(ws);
  if (!plan.labs.some((l) => l.name === lab))
    throw new SwarmLabError(
      EXIT.usage,
      `workshop ${ws} has no lab ${lab}; its labs: ${plan.labs.map((l) => l.name).join(', ')}`,
    );
  const s = effectiveStatus(readStatus(ws, lab)!);
  if (BUSY.includes(s.phase))
    throw new SwarmLabError(EXIT.state, `lab ${lab} is busy (${s.phase} since ${s.since})`, {
      fix: 'wait for it; npm run workshop -- status',
    });
  if (s.phase === 'down') throw new SwarmLabError(EXIT.state, `lab ${lab} is down`, { fix: 'npm run workshop -- up' });
  if (s !== readStatus(ws, lab)) writeStatus(ws, s);
  say(`resetting ${lab} (re-provision and verify; recreate if that is not PASS); the other labs are not touched`);
  const code = await runAll(plan, [lab], 1, (l) => workerRun('reset', ws, l));
  writeSheets(readPlan(ws));
  return code[0] === 0 ? EXIT.ok : EXIT.fail;
}

/** verify one lab, or every lab that is ready or failed, one after the other (each verify loads the host). */
async function verifyCmd(ws: string, lab?: string): Promise<number> {
  const plan = readPlan(ws);
  if (lab && !plan.labs.some((l) => l.name === lab))
    throw new SwarmLabError(
      EXIT.usage,
      `workshop ${ws} has no lab ${lab}; its labs: ${plan.labs.map((l) => l.name).join(', ')}`,
    );
  const labs = plan.labs
    .map((l) => effectiveStatus(readStatus(ws, l.name)!))
    .filter((s) => (!lab || s.lab === lab) && (s.phase === 'ready' || s.phase === 'failed'));
  if (!labs.length)
    throw new SwarmLabError(EXIT.state, `no ${lab ?? 'lab'} is ready or failed to verify`, {
      fix: 'npm run workshop -- status',
    });
  const codes = await runAll(
    plan,
    labs.map((s) => s.lab),
    1,
    (l) => workerRun('verify', ws, l),
  );
  writeSheets(readPlan(ws));
  return codes.every((c) => c === 0) ? EXIT.ok : EXIT.fail;
}

async function main(): Promise<number> {
  const a = parseWorkshopArgs(process.argv.slice(2).filter((x) => x !== '--debug'));
  if (a.help) {
    process.stdout.write(a.help);
    return EXIT.ok;
  }
  const ws = pickName(a);
  switch (a.command) {
    case 'up':
      return up(a, ws);
    case 'status': {
      const plan = readPlan(ws);
      if (a.json)
        process.stdout.write(
          JSON.stringify(
            plan.labs.map((l) => readStatus(ws, l.name)),
            null,
            2,
          ) + '\n',
        );
      else process.stdout.write(showStatus(plan) + '\n');
      return EXIT.ok;
    }
    case 'reset':
      return reset(ws, a.lab!);
    case 'verify':
      return verifyCmd(ws, a.lab);
    case 'sheets': {
      const files = writeSheets(readPlan(ws));
      say(`wrote ${files.join(', ')}`);
      return EXIT.ok;
    }
    case 'down': {
      const plan = readPlan(ws);
      const busy = plan.labs
        .map((l) => readStatus(ws, l.name))
        .filter((s) => s && BUSY.includes(s.phase) && s.pid && effectiveStatus(s) === s);
      if (busy.length)
        say(`labs still working (${busy.map((s) => s!.lab).join(', ')}): their hosts go down under them`);
      const left = await downWorkshop(plan, say);
      writeSheets(readPlan(ws));
      if (left.length) throw new SwarmLabError(EXIT.env, `down left behind: ${left.join('; ')}`);
      say(
        `workshop ${ws} down: no namespace, libvirtd, QEMU or pool of it left (${workshopLeftovers(plan).length} leftovers)`,
      );
      return EXIT.ok;
    }
  }
}

if (require.main === module) runMain('workshop', main);
