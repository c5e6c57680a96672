/**
 * State checks from snapshot text: the rules and tables that make the packets take the path.
 * Each check has a stable id `<node>:<what>[:<container>]` that the path's state hops refer to.
 */
import type { NodeInfo, NodeSnapshot, TaskInfo, Topology } from '../model';
import { Rule, hasJumpPath, markValue, opt, parseIptablesSave, rulesFrom } from './iptables';
import { parseIpvs } from './ipvs';
import { parseFdb, parseVxlanLink } from './overlay';
import type { EngineProfile } from './profiles';
import type { StateCheck } from './types';

export const checkId = {
  hostDnat: (n: string) => `${n}:host-dnat`,
  hostForward: (n: string) => `${n}:host-forward`,
  sboxMark: (n: string) => `${n}:sbox-mark`,
  ipvsFwm: (n: string) => `${n}:sbox-ipvs-fwm`,
  ipvsReals: (n: string) => `${n}:sbox-ipvs-reals`,
  sboxSnat: (n: string) => `${n}:sbox-snat`,
  fdb: (n: string) => `${n}:overlay-fdb`,
  vxlanLink: (n: string) => `${n}:overlay-vxlan`,
  redirect: (n: string, cid: string) => `${n}:task-redirect:${cid.slice(0, 12)}`,
};

export interface StateProps {
  readonly topology: Topology;
  readonly snapshots: readonly NodeSnapshot[];
  readonly profileOf: (node: NodeInfo) => EngineProfile;
  /** Nodes that received requests: their host and ingress_sbox are on the path. */
  readonly entryNodes: ReadonlySet<string>;
}

export function stateChecks(p: StateProps): StateCheck[] {
  const out: StateCheck[] = [];
  const { topology: t } = p;
  const svc = t.service;
  const involved = new Set<string>([...p.entryNodes, ...svc.tasks.map((x) => x.node)]);
  for (const node of t.nodes) {
    if (!involved.has(node.name)) continue;
    const snap = p.snapshots.find((s) => s.node === node.name);
    const profile = p.profileOf(node);
    if (p.entryNodes.has(node.name)) out.push(...entryChecks(node, snap, profile, t));
    out.push(...overlayChecks(node, snap, t));
    for (const task of svc.tasks.filter((x) => x.node === node.name)) out.push(redirectCheck(node, task, snap, t));
  }
  return out;
}

const mk = (
  id: string,
  node: string,
  title: string,
  status: StateCheck['status'],
  expected: string,
  seen: string,
): StateCheck => ({ id, node, title, status, expected, seen });

function entryChecks(
  node: NodeInfo,
  snap: NodeSnapshot | undefined,
  profile: EngineProfile,
  t: Topology,
): StateCheck[] {
  const n = node.name;
  const pub = t.service.publishedPort;
  const out: StateCheck[] = [];
  // Host nat: DNAT of the published port to the sbox address on docker_gwbridge.
  const dnatWant = `${node.sboxGwbridgeIp}:${pub}`;
  const dnatExp = `nat PREROUTING -> ${profile.natIngressChain}: DNAT tcp dpt:${pub} to:${dnatWant}`;
  if (!snap?.host.iptablesSave.trim()) {
    out.push(
      mk(
        checkId.hostDnat(n),
        n,
        'host DNAT to ingress_sbox',
        'not captured',
        dnatExp,
        'no host iptables-save in the snapshot',
      ),
    );
    out.push(
      mk(
        checkId.hostForward(n),
        n,
        'host FORWARD accepts the published port',
        'not captured',
        `filter ${profile.filterForwardPath.join(' -> ')} ACCEPT tcp dpt:${pub}`,
        'no host iptables-save in the snapshot',
      ),
    );
  } else {
    const host = parseIptablesSave(snap.host.iptablesSave);
    const dnats = rulesFrom(host, 'nat', 'PREROUTING').filter(
      (r) => r.target === 'DNAT' && opt(r, '--dport') === String(pub),
    );
    const good = dnats.find((r) => opt(r, '--to-destination') === dnatWant);
    const hasChain = host.rules.some((r) => r.table === 'nat' && r.chain === profile.natIngressChain);
    out.push(
      good
        ? mk(checkId.hostDnat(n), n, 'host DNAT to ingress_sbox', 'ok', dnatExp, good.text)
        : dnats.length
          ? mk(
              checkId.hostDnat(n),
              n,
              'host DNAT to ingress_sbox',
              'wrong',
              dnatExp,
              `to:${opt(dnats[0], '--to-destination')}, expected to:${dnatWant} (${dnats[0].text})`,
            )
          : mk(
              checkId.hostDnat(n),
              n,
              'host DNAT to ingress_sbox',
              'missing',
              dnatExp,
              hasChain
                ? `${profile.natIngressChain} has no DNAT for dpt:${pub}`
                : `no ${profile.natIngressChain} chain in the nat table`,
            ),
    );
    const fwdExp = `filter ${profile.filterForwardPath.join(' -> ')} ACCEPT tcp dpt:${pub}`;
    const last = profile.filterForwardPath[profile.filterForwardPath.length - 1];
    const accepts = (r: Rule) => r.target === 'ACCEPT' && opt(r, '--dport') === String(pub);
    const onPath =
      hasJumpPath(host, 'filter', profile.filterForwardPath) &&
      host.rules.some((r) => r.table === 'filter' && r.chain === last && accepts(r));
    const anywhere = rulesFrom(host, 'filter', 'FORWARD').find(accepts);
    out.push(
      onPath
        ? mk(
            checkId.hostForward(n),
            n,
            'host FORWARD accepts the published port',
            'ok',
            fwdExp,
            `ACCEPT dpt:${pub} in ${last}`,
          )
        : anywhere
          ? mk(
              checkId.hostForward(n),
              n,
              'host FORWARD accepts the published port',
              'wrong',
              fwdExp,
              `ACCEPT dpt:${pub} reached through ${anywhere.chain}, not ${profile.filterForwardPath.join(' -> ')} (profile ${profile.name})`,
            )
          : mk(
              checkId.hostForward(n),
              n,
              'host FORWARD accepts the published port',
              'missing',
              fwdExp,
              `no ACCEPT for dpt:${pub} reachable from FORWARD`,
            ),
    );
  }
  // ingress_sbox: mangle MARK, IPVS FWM with the same value, reals = tasks, SNAT to the sbox ingress IP.
  const sbox = snap?.sbox;
  const ipvsText = sbox?.ipvsadm.trim() ? sbox.ipvsadm : (sbox?.procIpvs ?? '');
  const taskIps = t.service.tasks.map((x) => x.ingressIp).sort();
  if (!sbox?.iptablesSave.trim()) {
    for (const [id, title] of [
      [checkId.sboxMark(n), 'ingress_sbox mangle MARK'],
      [checkId.sboxSnat(n), 'ingress_sbox SNAT to its ingress IP'],
    ] as const) {
      out.push(
        mk(id, n, title, 'not captured', 'ingress_sbox iptables-save', 'no ingress_sbox iptables-save in the snapshot'),
      );
    }
  } else {
    const rs = parseIptablesSave(sbox.iptablesSave);
    const marks = rulesFrom(rs, 'mangle', profile.markChain).filter(
      (r) => r.target === 'MARK' && opt(r, '--dport') === String(pub),
    );
    const mark = marks.length ? markValue(marks[0]) : undefined;
    out.push(
      mark !== undefined
        ? mk(
            checkId.sboxMark(n),
            n,
            'ingress_sbox mangle MARK',
            'ok',
            `mangle ${profile.markChain} tcp dpt:${pub} MARK set <fwmark>`,
            `MARK set 0x${mark.toString(16)} (${mark})`,
          )
        : mk(
            checkId.sboxMark(n),
            n,
            'ingress_sbox mangle MARK',
            'missing',
            `mangle ${profile.markChain} tcp dpt:${pub} MARK set <fwmark>`,
            `no MARK rule for dpt:${pub}`,
          ),
    );
    const snats = rulesFrom(rs, 'nat', 'POSTROUTING').filter(
      (r) => r.target === 'SNAT' && opt(r, '-d') === t.ingress.subnet,
    );
    const snatExp = `nat POSTROUTING -d ${t.ingress.subnet} [-m ipvs --ipvs] SNAT to:${node.sboxIngressIp}`;
    const snatOk = snats.find((r) => opt(r, '--to-source') === node.sboxIngressIp);
    out.push(
      snatOk
        ? mk(checkId.sboxSnat(n), n, 'ingress_sbox SNAT to its ingress IP', 'ok', snatExp, snatOk.text)
        : snats.length
          ? mk(
              checkId.sboxSnat(n),
              n,
              'ingress_sbox SNAT to its ingress IP',
              'wrong',
              snatExp,
              `to:${opt(snats[0], '--to-source')}, expected to:${node.sboxIngressIp}`,
            )
          : mk(
              checkId.sboxSnat(n),
              n,
              'ingress_sbox SNAT to its ingress IP',
              'missing',
              snatExp,
              `no SNAT for -d ${t.ingress.subnet}`,
            ),
    );
    if (!ipvsText.trim()) {
      out.push(
        mk(
          checkId.ipvsFwm(n),
          n,
          'IPVS service on the fwmark',
          'not captured',
          'FWM <mark> rr',
          'neither ipvsadm -Ln nor /proc/net/ip_vs in the snapshot',
        ),
      );
      out.push(
        mk(
          checkId.ipvsReals(n),
          n,
          'IPVS real servers are the tasks',
          'not captured',
          taskIps.join(', '),
          'no IPVS table',
        ),
      );
    } else {
      const svcs = parseIpvs(ipvsText).filter((s) => s.protocol === 'FWM');
      const svc = svcs.find((s) => s.fwmark === mark);
      const fwmExp =
        mark !== undefined ? `FWM ${mark} rr (= mangle MARK 0x${mark.toString(16)})` : 'FWM <mangle MARK> rr';
      out.push(
        svc
          ? svc.scheduler === 'rr'
            ? mk(
                checkId.ipvsFwm(n),
                n,
                'IPVS service on the fwmark',
                'ok',
                fwmExp,
                `FWM ${svc.fwmark} ${svc.scheduler}`,
              )
            : mk(
                checkId.ipvsFwm(n),
                n,
                'IPVS service on the fwmark',
                'wrong',
                fwmExp,
                `scheduler ${svc.scheduler}, expected rr`,
              )
          : svcs.length
            ? mk(
                checkId.ipvsFwm(n),
                n,
                'IPVS service on the fwmark',
                'wrong',
                fwmExp,
                `FWM ${svcs.map((s) => s.fwmark).join(', ')}, expected ${mark ?? '<mark>'}`,
              )
            : mk(
                checkId.ipvsFwm(n),
                n,
                'IPVS service on the fwmark',
                'missing',
                fwmExp,
                'no FWM service in the IPVS table',
              ),
      );
      const target = svc ?? (svcs.length === 1 ? svcs[0] : undefined);
      const reals = (target?.reals ?? []).map((r) => r.ip).sort();
      const notMasq = (target?.reals ?? []).filter((r) => r.forward !== 'Masq');
      const missing = taskIps.filter((ip) => !reals.includes(ip));
      const extra = reals.filter((ip) => !taskIps.includes(ip));
      const realsExp = `${taskIps.join(', ')} (Masq)`;
      out.push(
        !target
          ? mk(
              checkId.ipvsReals(n),
              n,
              'IPVS real servers are the tasks',
              'missing',
              realsExp,
              'no FWM service to hold them',
            )
          : missing.length || extra.length || notMasq.length
            ? mk(
                checkId.ipvsReals(n),
                n,
                'IPVS real servers are the tasks',
                'wrong',
                realsExp,
                [
                  missing.length ? `missing ${missing.join(', ')}` : '',
                  extra.length ? `extra ${extra.join(', ')}` : '',
                  notMasq.length
                    ? `forward ${notMasq.map((r) => `${r.ip} ${r.forward}`).join(', ')}, expected Masq`
                    : '',
                ]
                  .filter(Boolean)
                  .join('; '),
              )
            : mk(checkId.ipvsReals(n), n, 'IPVS real servers are the tasks', 'ok', realsExp, reals.join(', ')),
      );
    }
  }
  return out;
}

function overlayChecks(node: NodeInfo, snap: NodeSnapshot | undefined, t: Topology): StateCheck[] {
  const n = node.name;
  const out: StateCheck[] = [];
  const remote = t.service.tasks.filter((x) => x.node !== n);
  const ipOf = (name: string) => t.nodes.find((x) => x.name === name)?.ip ?? '?';
  const fdbExp = remote.map((x) => `${x.ingressMac} dst ${ipOf(x.node)}`).join(', ') || '(no remote tasks)';
  if (!snap?.overlay.fdb.trim()) {
    out.push(
      mk(
        checkId.fdb(n),
        n,
        'vxlan0 fdb maps remote task MACs to their nodes',
        remote.length ? 'not captured' : 'ok',
        fdbExp,
        'no fdb in the snapshot',
      ),
    );
  } else {
    const fdb = parseFdb(snap.overlay.fdb);
    const bad = remote.flatMap((x) => {
      const dst = fdb.get(x.ingressMac.toLowerCase());
      return dst === ipOf(x.node)
        ? []
        : [
            dst
              ? `${x.ingressMac} dst ${dst}, expected ${ipOf(x.node)}`
              : `${x.ingressMac} (${x.ingressIp}) has no entry`,
          ];
    });
    out.push(
      mk(
        checkId.fdb(n),
        n,
        'vxlan0 fdb maps remote task MACs to their nodes',
        bad.length ? (fdb.size ? 'wrong' : 'missing') : 'ok',
        fdbExp,
        bad.length ? bad.join('; ') : `${remote.length} entries as expected`,
      ),
    );
  }
  const linkExp = `vxlan id ${t.ingress.vni} dstport ${t.ingress.dataPathPort}`;
  if (!snap?.overlay.vxlanLink.trim()) {
    out.push(
      mk(
        checkId.vxlanLink(n),
        n,
        'vxlan0 VNI and UDP port',
        'not captured',
        linkExp,
        'no `ip -d link show vxlan0` in the snapshot',
      ),
    );
  } else {
    const l = parseVxlanLink(snap.overlay.vxlanLink);
    const diffs = [
      l.vni !== t.ingress.vni ? `VNI ${l.vni ?? 'none'}, expected ${t.ingress.vni}` : '',
      l.dstport !== t.ingress.dataPathPort ? `dstport ${l.dstport ?? 'none'}, expected ${t.ingress.dataPathPort}` : '',
    ].filter(Boolean);
    out.push(
      mk(
        checkId.vxlanLink(n),
        n,
        'vxlan0 VNI and UDP port',
        l.vni === undefined ? 'missing' : diffs.length ? 'wrong' : 'ok',
        linkExp,
        diffs.length ? diffs.join('; ') : `vxlan id ${l.vni} dstport ${l.dstport}`,
      ),
    );
  }
  return out;
}

function redirectCheck(node: NodeInfo, task: TaskInfo, snap: NodeSnapshot | undefined, t: Topology): StateCheck {
  const { publishedPort: pub, targetPort: tgt } = t.service;
  const id = checkId.redirect(node.name, task.containerId);
  const title = `task ${task.containerId.slice(0, 12)} REDIRECT ${pub} -> ${tgt}`;
  const exp = `nat PREROUTING -d ${task.ingressIp}/32 tcp dpt:${pub} REDIRECT --to-ports ${tgt}`;
  const text =
    snap &&
    Object.entries(snap.tasks).find(
      ([cid]) => cid.startsWith(task.containerId.slice(0, 12)) || task.containerId.startsWith(cid),
    )?.[1].iptablesSave;
  if (!text?.trim())
    return mk(id, node.name, title, 'not captured', exp, 'no iptables-save of the task namespace in the snapshot');
  const rs = parseIptablesSave(text);
  const redirects = rulesFrom(rs, 'nat', 'PREROUTING').filter(
    (r) => r.target === 'REDIRECT' && opt(r, '--dport') === String(pub),
  );
  const good = redirects.find(
    (r) => opt(r, '--to-ports') === String(tgt) && (opt(r, '-d') ?? '').split('/')[0] === task.ingressIp,
  );
  if (good) return mk(id, node.name, title, 'ok', exp, good.text);
  if (redirects.length)
    return mk(
      id,
      node.name,
      title,
      'wrong',
      exp,
      `${redirects[0].text} (to-ports ${opt(redirects[0], '--to-ports')}, expected ${tgt}; -d ${opt(redirects[0], '-d')}, expected ${task.ingressIp}/32)`,
    );
  return mk(id, node.name, title, 'missing', exp, `no REDIRECT for dpt:${pub}`);
}
