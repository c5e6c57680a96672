/**
 * Reads of the Docker Engine API on a node's own socket, with the docker CLI as the fallback.
 * A docker CLI process costs 1-1.5 s of a TCG guest's vCPU on a quiet lab (2.5-4.6 s per read
 * measured on a loaded bookworm guest) against 0.1-0.3 s for curl (0.6-1.5 s loaded): the reads
 * verify repeats every round ask the API. The answers are the JSON the CLI prints (the CLI's
 * inspect wraps each object in an array), so one parser reads both.
 */
import { shQuote } from './ssh';

/** The Engine API's own socket on the node (the CLI's default `unix:///var/run/docker.sock`). */
export const DOCKER_SOCKET = '/var/run/docker.sock';

/**
 * One line of shell defining `swl_api <path>`: GET the path with curl (never through a proxy the
 * node's environment names). The body on stdout; an HTTP
 * error's body (the daemon's `{"message": ...}`) on stderr, exit 1; exit 3 when curl cannot be used
 * (missing, older than --unix-socket like CentOS 7's 7.29, no socket, daemon down), so the caller
 * runs the CLI, whose own error then names the cause as it always did.
 */
export const SH_API_FUNCTION =
  `swl_api() { _n=$(printf '\\n_'); _n=\${_n%_}; ` +
  `_b=$(curl -sS --noproxy '*' --unix-socket ${DOCKER_SOCKET} -w '\\n%{http_code}' "http://docker$1" 2>/dev/null) || return 3; ` +
  `_c=\${_b##*"$_n"}; _b=\${_b%"$_n"*}; ` +
  `case $_c in 2??) printf '%s\\n' "$_b" ;; *) printf '%s\\n' "$_b" >&2; return 1 ;; esac; }`;

/** One line: `path` from the API, or `cli` (printing the same JSON) where curl cannot. Needs SH_API_FUNCTION. */
export function apiOrCli(path: string, cli: string): string {
  return `swl_api ${shQuote(path)} || { [ $? -eq 3 ] && { ${cli} ; }; }`;
}

/** The CLI command of an `apiOrCli` line (what the node runs where curl cannot), or undefined. */
export function cliOf(line: string): string | undefined {
  return /^swl_api \S+ \|\| \{ \[ \$\? -eq 3 \] && \{ (.*) ; \}; \}$/.exec(line)?.[1];
}

/** The daemon's words in an Engine API error body (`{"message":"service x not found"}`). */
export function apiMessage(text: string): string | undefined {
  const t = text.trim();
  if (!t.startsWith('{')) return undefined;
  try {
    const m = (JSON.parse(t) as { message?: unknown }).message;
    return typeof m === 'string' ? m : undefined;
  } catch {
    return undefined;
  }
}

/** An error text with the API's JSON body replaced by its message (a CLI's text is kept). */
export function errorWords(stderr: string): string {
  return stderr
    .split('\n')
    .map((l) => apiMessage(l) ?? l)
    .join('\n');
}

/** The objects of an answer: the API's one object, or the CLI's inspect array. */
export function inspected(value: unknown): unknown[] {
  return Array.isArray(value) ? value : value === null || value === undefined ? [] : [value];
}
