// resolv.conf, the one parser and writer of its grammar: the cluster DNS reads the node's
// upstream resolvers from it, the kubelet the node's search list for pods' resolv.conf.
export interface ResolvConf {
  nameservers: string[];
  searches: string[];
  options: string[];
}

/** glibc's reading: `nameserver`, `search` (the last one wins; `domain` is a one-entry search), `options`. */
export function parseResolvConf(text: string): ResolvConf {
  const out: ResolvConf = { nameservers: [], searches: [], options: [] };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [key, ...values] = line.split(/\s+/);
    if (key === 'nameserver' && values[0]) out.nameservers.push(values[0]);
    else if (key === 'search') out.searches = values;
    else if (key === 'domain' && values[0]) out.searches = [values[0]];
    else if (key === 'options') out.options.push(...values);
  }
  return out;
}

export function formatResolvConf(c: ResolvConf): string {
  const lines = c.nameservers.map((s) => `nameserver ${s}`);
  if (c.searches.length) lines.push(`search ${c.searches.join(' ')}`);
  if (c.options.length) lines.push(`options ${c.options.join(' ')}`);
  return `${lines.join('\n')}\n`;
}
