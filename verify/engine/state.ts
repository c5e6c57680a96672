/**
 * The ingress path's state checks, from snapshot text: the rules and tables that make the packets
 * take the path. Each check has a stable id `<node>:<what>[:<container>]` that the path's state
 * hops name, and typed `facts` (chain path, DNAT target, mark, reals with weights, VNI, ports)
 * that the reports and the e2e matrix read. Rules are judged by walking each chain in the
 * kernel's order for the packet at that hop, so a rule met first (a DROP at the top of FORWARD)
 * decides as it does in the kernel.
 */
import type { NodeInfo, NodeSnapshot, TaskInfo, Topology } from '../model';
import type { PathStateProps } from '../paths/types';
import { chainState, markValue, opt, parseIptablesSave, type Ruleset, walkChain, type WalkResult } from './iptables';
import { parseIpvs } from './ipvs';
import { parseFdb, parseVxlanLink } from './overlay';
import type { EngineProfile } from './profiles';
import type { StateCheck, StateFacts } from './types';

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

/** The host bridge of docker_gwbridge (Docker names the bridge after the network). */
const GWBRIDGE = 'docker_gwbridge';

export function ingressStateChecks(p: PathStateProps): StateCheck[] {
  const out: StateCheck[] = [];
  const { topology: t } = p;
  const svc = t.service;
  const involved = new Set<string>([...p.entryNodes, ...svc.tasks.map((x) => x.node)]);
  for (const node of t.nodes) {
    if (!involved.has(node.name)) continue;
    const snap = p.snapshots.find((s) => s.node === node.name);
    const profile = p.profileOf(node);
    if (p.entryNodes.has(node.name))
      out.push(...hostChecks(node, snap, profile, t), ...sboxChecks(node, snap, profile, t));
    out.push(...overlayChecks(node, snap, t));
    for (const task of svc.tasks.filter((x) => x.node === node.name)) out.push(redirectCheck(node, task, snap, t));
  }
  return out;
}

/** One state check (also used by the client paths' checks in state-client.ts). */
export const mk = (
  id: string,
  node: string,
  title: string,
  status: StateCheck['status'],
  expected: string,
  seen: string,
  facts?: StateFacts,
): StateCheck => ({ id, node, title, status, expected, seen, ...(facts ? { facts } : {}) });

/** How a walk ended, in words: `dropped by <rule> in FORWARD` / `FORWARD policy DROP`. */
export function walkWords(w: WalkResult, start: string): string {
  return w.rule
    ? `${w.verdict} by \`${w.rule.text}\` (${w.chainPath.join(' -> ')})`
    : `${start} policy ${w.verdict} (walked ${w.visited.join(', ')})`;
}

function hostChecks(node: NodeInfo, snap: NodeSnapshot | undefined, profile: EngineProfile, t: Topology): StateCheck[] {
  const n = node.name;
  const pub = t.service.publishedPort;
  const chain = profile.natIngressChain;
  const dnatWant = `${node.sboxGwbridgeIp}:${pub}`;
  const dnatExp = `nat PREROUTING -> ${chain}: DNAT tcp dpt:${pub} to:${dnatWant}`;
  const fwdExp = `filter ${profile.filterForwardPath.join(' -> ')} ACCEPT tcp dpt:${pub}`;
  const dnatTitle = 'host DNAT to ingress_sbox';
  const fwdTitle = 'host FORWARD accepts the published port';
  if (!snap?.host.iptablesSave.trim()) {
    const why = 'no host iptables-save in the snapshot';
    return [
      mk(checkId.hostDnat(n), n, dnatTitle, 'not captured', dnatExp, why),
      mk(checkId.hostForward(n), n, fwdTitle, 'not captured', fwdExp, why),
    ];
  }
  const host = parseIptablesSave(snap.host.iptablesSave);
  // The client's SYN as PREROUTING sees it, then as FORWARD sees it after the DNAT.
  const pre = walkChain(host, 'nat', 'PREROUTING', {
    proto: 'tcp',
    src: t.client.ip,
    dst: node.ip,
    dport: pub,
    inIface: node.nic,
    ctstate: 'NEW',
    dstLocal: true,
    srcLocal: false,
  });
  const cs = chainState(host, 'nat', chain);
  const target = pre.verdict === 'DNAT' && pre.rule ? opt(pre.rule, '--to-destination') : undefined;
  const dnatFacts: StateFacts = {
    kind: 'dnat',
    chainPath: pre.chainPath,
    chain,
    chainState: cs,
    ...(target ? { target } : {}),
    ...(pre.rule && pre.verdict === 'DNAT' ? { rule: pre.rule.text } : {}),
  };
  const dnat =
    target === dnatWant
      ? mk(checkId.hostDnat(n), n, dnatTitle, 'ok', dnatExp, (pre.rule as { text: string }).text, dnatFacts)
      : target
        ? mk(
            checkId.hostDnat(n),
            n,
            dnatTitle,
            'wrong',
            dnatExp,
            `to:${target}, expected to:${dnatWant} (${pre.rule?.text})`,
            dnatFacts,
          )
        : mk(
            checkId.hostDnat(n),
            n,
            dnatTitle,
            'missing',
            dnatExp,
            cs === 'absent'
              ? `no ${chain} chain in the nat table`
              : cs === 'empty'
                ? `${chain} exists in the nat table but is empty (no rules)`
                : dnatInChain(host, chain, pub)
                  ? `the DNAT in ${chain} is not reached: ${walkWords(pre, 'PREROUTING')}`
                  : `${chain} has no DNAT for dpt:${pub} (${walkWords(pre, 'PREROUTING')})`,
            dnatFacts,
          );
  const fwd = walkChain(host, 'filter', 'FORWARD', {
    proto: 'tcp',
    src: t.client.ip,
    dst: node.sboxGwbridgeIp,
    dport: pub,
    inIface: node.nic,
    outIface: GWBRIDGE,
    ctstate: 'NEW',
    dstLocal: false,
    srcLocal: false,
  });
  const fwdFacts: StateFacts = {
    kind: 'forward',
    chainPath: fwd.chainPath,
    verdict: fwd.verdict,
    ...(fwd.rule ? { rule: fwd.rule.text } : {}),
    policy: fwd.policy,
    port: pub,
  };
  const wantPath = profile.filterForwardPath.join(' -> ');
  const filterIngress = chainState(host, 'filter', profile.filterForwardPath[profile.filterForwardPath.length - 1]);
  let forward: StateCheck;
  if (fwd.verdict === 'ACCEPT' && !fwd.policy && fwd.chainPath.join(' -> ') === wantPath)
    forward = mk(
      checkId.hostForward(n),
      n,
      fwdTitle,
      'ok',
      fwdExp,
      `ACCEPT dpt:${pub} in ${fwd.chainPath.join(' -> ')}: ${fwd.rule?.text}`,
      fwdFacts,
    );
  else if (fwd.verdict === 'ACCEPT' && fwd.policy)
    forward = mk(
      checkId.hostForward(n),
      n,
      fwdTitle,
      'missing',
      fwdExp,
      `no rule accepts dpt:${pub} on ${wantPath}: only FORWARD's policy ACCEPT lets it through${filterIngress !== 'present' ? ` (filter ${profile.filterForwardPath[profile.filterForwardPath.length - 1]} is ${filterIngress})` : ''}`,
      fwdFacts,
    );
  else if (fwd.verdict === 'ACCEPT')
    forward = mk(
      checkId.hostForward(n),
      n,
      fwdTitle,
      'wrong',
      fwdExp,
      `ACCEPT dpt:${pub} reached through ${fwd.chainPath.join(' -> ')}, not ${wantPath} (profile ${profile.name})${fwd.rule ? `: ${fwd.rule.text}` : ''}`,
      fwdFacts,
    );
  else if (fwd.rule)
    forward = mk(
      checkId.hostForward(n),
      n,
      fwdTitle,
      'wrong',
      fwdExp,
      `${fwd.verdict}: the kernel meets \`${fwd.rule.text}\` in ${fwd.chainPath.join(' -> ')} before any ACCEPT for dpt:${pub}`,
      fwdFacts,
    );
  else
    forward = mk(
      checkId.hostForward(n),
      n,
      fwdTitle,
      'missing',
      fwdExp,
      `no rule accepts dpt:${pub}: FORWARD ends in its policy ${fwd.verdict}${filterIngress !== 'present' ? ` (filter ${profile.filterForwardPath[profile.filterForwardPath.length - 1]} is ${filterIngress})` : ''}`,
      fwdFacts,
    );
  return [dnat, forward];
}

function dnatInChain(rs: Ruleset, chain: string, pub: number): boolean {
  return rs.rules.some(
    (r) => r.table === 'nat' && r.chain === chain && r.target === 'DNAT' && opt(r, '--dport') === String(pub),
  );
}

function sboxChecks(node: NodeInfo, snap: NodeSnapshot | undefined, profile: EngineProfile, t: Topology): StateCheck[] {
  const n = node.name;
  const pub = t.service.publishedPort;
  const out: StateCheck[] = [];
  const sbox = snap?.sbox;
  const ipvsText = sbox?.ipvsadm.trim() ? sbox.ipvsadm : (sbox?.procIpvs ?? '');
  const taskIps = t.service.tasks.map((x) => x.ingressIp).sort();
  const markExp = `mangle ${profile.markChain} tcp dpt:${pub} MARK set <fwmark>`;
  const snatExp = `nat POSTROUTING -d ${t.ingress.subnet} [-m ipvs --ipvs] SNAT to:${node.sboxIngressIp}`;
  let mark: number | undefined;
  if (!sbox?.iptablesSave.trim()) {
    const why = 'no ingress_sbox iptables-save in the snapshot';
    out.push(mk(checkId.sboxMark(n), n, 'ingress_sbox mangle MARK', 'not captured', markExp, why));
    out.push(mk(checkId.sboxSnat(n), n, 'ingress_sbox SNAT to its ingress IP', 'not captured', snatExp, why));
  } else {
    const rs = parseIptablesSave(sbox.iptablesSave);
    const syn = {
      proto: 'tcp' as const,
      src: t.client.ip,
      dst: node.sboxGwbridgeIp,
      dport: pub,
      inIface: node.ifaces.sboxGwbridge,
      ctstate: 'NEW',
    };
    const mangle = walkChain(rs, 'mangle', profile.markChain, syn);
    const marks = mangle.applied.filter((r) => r.target === 'MARK');
    const markRule = marks[marks.length - 1];
    mark = markRule ? markValue(markRule) : undefined;
    const markFacts: StateFacts = {
      kind: 'mark',
      chain: profile.markChain,
      port: pub,
      ...(mark !== undefined ? { mark } : {}),
    };
    out.push(
      mark !== undefined
        ? mk(
            checkId.sboxMark(n),
            n,
            'ingress_sbox mangle MARK',
            'ok',
            markExp,
            `MARK set 0x${mark.toString(16)} (${mark})`,
            markFacts,
          )
        : mk(
            checkId.sboxMark(n),
            n,
            'ingress_sbox mangle MARK',
            'missing',
            markExp,
            mangle.rule && mangle.verdict !== 'ACCEPT'
              ? `no MARK before \`${mangle.rule.text}\``
              : `no MARK rule for dpt:${pub}`,
            markFacts,
          ),
    );
    // After IPVS picked a task: the packet leaves towards the task, on an IPVS connection.
    const post = walkChain(rs, 'nat', 'POSTROUTING', {
      proto: 'tcp',
      src: t.client.ip,
      dst: t.service.tasks[0]?.ingressIp ?? t.ingress.gateway,
      dport: pub,
      outIface: node.ifaces.sboxIngress,
      ctstate: 'NEW',
      ipvs: true,
      ...(mark !== undefined ? { mark } : {}),
    });
    const toSource = post.verdict === 'SNAT' && post.rule ? opt(post.rule, '--to-source') : undefined;
    const snatFacts: StateFacts = { kind: 'snat', dst: t.ingress.subnet, ...(toSource ? { toSource } : {}) };
    out.push(
      toSource === node.sboxIngressIp
        ? mk(
            checkId.sboxSnat(n),
            n,
            'ingress_sbox SNAT to its ingress IP',
            'ok',
            snatExp,
            post.rule?.text ?? '',
            snatFacts,
          )
        : toSource
          ? mk(
              checkId.sboxSnat(n),
              n,
              'ingress_sbox SNAT to its ingress IP',
              'wrong',
              snatExp,
              `to:${toSource}, expected to:${node.sboxIngressIp}`,
              snatFacts,
            )
          : mk(
              checkId.sboxSnat(n),
              n,
              'ingress_sbox SNAT to its ingress IP',
              'missing',
              snatExp,
              `no SNAT for -d ${t.ingress.subnet}${post.rule ? ` (${walkWords(post, 'POSTROUTING')})` : ''}`,
              snatFacts,
            ),
    );
  }
  const fwmTitle = 'IPVS service on the fwmark';
  const realsTitle = 'IPVS real servers are the tasks';
  const realsExp = `${taskIps.join(', ')} (Masq, weight > 0)`;
  if (!ipvsText.trim()) {
    out.push(
      mk(
        checkId.ipvsFwm(n),
        n,
        fwmTitle,
        'not captured',
        'FWM <mark> rr',
        'neither ipvsadm -Ln nor /proc/net/ip_vs in the snapshot',
      ),
      mk(checkId.ipvsReals(n), n, realsTitle, 'not captured', realsExp, 'no IPVS table'),
    );
    return out;
  }
  const svcs = parseIpvs(ipvsText).filter((s) => s.protocol === 'FWM');
  const svc = svcs.find((s) => s.fwmark === mark);
  const fwmExp = mark !== undefined ? `FWM ${mark} rr (= mangle MARK 0x${mark.toString(16)})` : 'FWM <mangle MARK> rr';
  const fwmFacts: StateFacts = { kind: 'ipvs-fwm', ...(svc ? { fwmark: svc.fwmark, scheduler: svc.scheduler } : {}) };
  out.push(
    svc
      ? svc.scheduler === 'rr'
        ? mk(checkId.ipvsFwm(n), n, fwmTitle, 'ok', fwmExp, `FWM ${svc.fwmark} ${svc.scheduler}`, fwmFacts)
        : mk(checkId.ipvsFwm(n), n, fwmTitle, 'wrong', fwmExp, `scheduler ${svc.scheduler}, expected rr`, fwmFacts)
      : svcs.length
        ? mk(
            checkId.ipvsFwm(n),
            n,
            fwmTitle,
            'wrong',
            fwmExp,
            `FWM ${svcs.map((s) => s.fwmark).join(', ')}, expected ${mark ?? '<mark>'}`,
            fwmFacts,
          )
        : mk(checkId.ipvsFwm(n), n, fwmTitle, 'missing', fwmExp, 'no FWM service in the IPVS table', fwmFacts),
  );
  const target = svc ?? (svcs.length === 1 ? svcs[0] : undefined);
  const reals = (target?.reals ?? []).map((r) => ({
    ip: r.ip,
    forward: r.forward,
    ...(r.weight !== undefined ? { weight: r.weight, activeConn: r.activeConn, inactConn: r.inactConn } : {}),
    scheduled: r.weight === undefined || r.weight > 0,
  }));
  const realsFacts: StateFacts = { kind: 'ipvs-reals', reals };
  const ips = reals.map((r) => r.ip).sort();
  const missing = taskIps.filter((ip) => !ips.includes(ip));
  const extra = ips.filter((ip) => !taskIps.includes(ip));
  const notMasq = reals.filter((r) => r.forward !== 'Masq');
  const idle = reals.filter((r) => !r.scheduled && taskIps.includes(r.ip));
  const problems = [
    missing.length ? `missing ${missing.join(', ')}` : '',
    extra.length ? `extra ${extra.join(', ')}` : '',
    notMasq.length ? `forward ${notMasq.map((r) => `${r.ip} ${r.forward}`).join(', ')}, expected Masq` : '',
    idle.length
      ? `${idle.map((r) => `${r.ip} weight ${r.weight}`).join(', ')}: not scheduled (IPVS sends no new connection to weight 0)`
      : '',
  ].filter(Boolean);
  out.push(
    !target
      ? mk(checkId.ipvsReals(n), n, realsTitle, 'missing', realsExp, 'no FWM service to hold them', realsFacts)
      : problems.length
        ? mk(checkId.ipvsReals(n), n, realsTitle, 'wrong', realsExp, problems.join('; '), realsFacts)
        : mk(
            checkId.ipvsReals(n),
            n,
            realsTitle,
            'ok',
            realsExp,
            reals
              .map((r) => `${r.ip}${r.weight !== undefined ? ` w${r.weight}` : ''}`)
              .sort()
              .join(', '),
            realsFacts,
          ),
  );
  return out;
}

function overlayChecks(node: NodeInfo, snap: NodeSnapshot | undefined, t: Topology): StateCheck[] {
  const n = node.name;
  const out: StateCheck[] = [];
  const remote = t.service.tasks.filter((x) => x.node !== n);
  const ipOf = (name: string) => t.nodes.find((x) => x.name === name)?.ip ?? '?';
  const fdbExp = remote.map((x) => `${x.ingressMac} dst ${ipOf(x.node)}`).join(', ') || '(no remote tasks)';
  const fdbTitle = 'vxlan0 fdb maps remote task MACs to their nodes';
  if (!snap?.overlay.fdb.trim()) {
    out.push(mk(checkId.fdb(n), n, fdbTitle, remote.length ? 'not captured' : 'ok', fdbExp, 'no fdb in the snapshot'));
  } else {
    const fdb = parseFdb(snap.overlay.fdb);
    const entries = remote.map((x) => {
      const dst = fdb.get(x.ingressMac.toLowerCase());
      return { mac: x.ingressMac, ...(dst ? { dst } : {}) };
    });
    const bad = remote.flatMap((x, i) => {
      const dst = entries[i].dst;
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
        fdbTitle,
        bad.length ? (fdb.size ? 'wrong' : 'missing') : 'ok',
        fdbExp,
        bad.length ? bad.join('; ') : `${remote.length} entries as expected`,
        { kind: 'fdb', entries },
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
        {
          kind: 'vxlan',
          ...(l.vni !== undefined ? { vni: l.vni } : {}),
          ...(l.dstport !== undefined ? { dstport: l.dstport } : {}),
        },
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
  const w = walkChain(rs, 'nat', 'PREROUTING', {
    proto: 'tcp',
    src: node.sboxIngressIp,
    dst: task.ingressIp,
    dport: pub,
    inIface: task.ingressIface ?? 'eth0',
    ctstate: 'NEW',
    dstLocal: true,
  });
  const toPort = w.verdict === 'REDIRECT' && w.rule ? Number(opt(w.rule, '--to-ports')) : undefined;
  const facts: StateFacts = {
    kind: 'redirect',
    ...(w.rule && w.verdict === 'REDIRECT' ? { dst: (opt(w.rule, '-d') ?? '').split('/')[0] } : {}),
    dport: pub,
    ...(toPort !== undefined ? { toPort } : {}),
  };
  if (toPort === tgt) return mk(id, node.name, title, 'ok', exp, (w.rule as { text: string }).text, facts);
  const other = rs.rules.find((r) => r.table === 'nat' && r.target === 'REDIRECT' && opt(r, '--dport') === String(pub));
  const shown = w.verdict === 'REDIRECT' ? w.rule : other;
  if (shown)
    return mk(
      id,
      node.name,
      title,
      'wrong',
      exp,
      `${shown.text} (to-ports ${opt(shown, '--to-ports')}, expected ${tgt}; -d ${opt(shown, '-d')}, expected ${task.ingressIp}/32)`,
      facts,
    );
  return mk(id, node.name, title, 'missing', exp, `no REDIRECT for dpt:${pub}`, facts);
}
