/** Quote one word for POSIX sh (local-exec commands run through `sh -c`). */
export function q(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
