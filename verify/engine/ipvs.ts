/** IPVS tables from `ipvsadm -Ln` (decimal FWM, dotted reals) or `/proc/net/ip_vs` (hex). */

export interface IpvsService {
  /** `FWM` for firewall-mark services, else `TCP`/`UDP`. */
  readonly protocol: string;
  /** Firewall mark for FWM services. */
  readonly fwmark?: number;
  readonly address?: string;
  readonly scheduler: string;
  readonly reals: ReadonlyArray<IpvsReal>;
}

export interface IpvsReal {
  readonly ip: string;
  readonly port: number;
  readonly forward: string;
  /** Scheduling weight; 0 = IPVS sends it no new connections. */
  readonly weight?: number;
  readonly activeConn?: number;
  readonly inactConn?: number;
}

export function parseIpvs(text: string): IpvsService[] {
  const out: Array<{
    protocol: string;
    fwmark?: number;
    address?: string;
    scheduler: string;
    reals: IpvsReal[];
  }> = [];
  const hexIp = (h: string): string => [0, 2, 4, 6].map((i) => parseInt(h.slice(i, i + 2), 16)).join('.');
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    const fwm = /^FWM\s+(\S+)\s+(\S+)/.exec(line);
    const svc = /^(TCP|UDP|SCTP)\s+(\S+)\s+(\S+)/.exec(line);
    const real = /^\s+->\s+([0-9A-Fa-f.]+):([0-9A-Fa-f]+)\s+(\S+)(?:\s+(\d+)\s+(\d+)\s+(\d+))?/.exec(line);
    if (fwm) {
      // ipvsadm prints the mark in decimal, /proc/net/ip_vs as 8 hex digits.
      const v = /^[0-9A-F]{8}$/.test(fwm[1]) ? parseInt(fwm[1], 16) : Number(fwm[1]);
      out.push({ protocol: 'FWM', fwmark: v, scheduler: fwm[2], reals: [] });
    } else if (svc) {
      out.push({ protocol: svc[1], address: svc[2], scheduler: svc[3], reals: [] });
    } else if (real && out.length && real[1] !== 'RemoteAddress') {
      const dotted = real[1].includes('.');
      out[out.length - 1].reals.push({
        ip: dotted ? real[1] : hexIp(real[1]),
        port: dotted ? Number(real[2]) : parseInt(real[2], 16),
        forward: real[3],
        ...(real[4] !== undefined
          ? { weight: Number(real[4]), activeConn: Number(real[5]), inactConn: Number(real[6]) }
          : {}),
      });
    }
  }
  return out;
}
