// Byte counts as docker prints them (decimal units, three significant digits: 12.3MB,
// 100kB), shared by the CLI's image listings and the build's layer report.

export function humanSize(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  // Trailing zeros go only after a decimal point: "100" stays, "1.50" is "1.5".
  return `${i === 0 ? v : v.toPrecision(3).replace(/\.0+$|(\.\d*?)0+$/, '$1')}${units[i]}`;
}
