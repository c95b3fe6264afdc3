// The root logger of a skiff process: JSON lines through pino, pretty-printed when stderr
// is a terminal. Components take a logger in their options; only cmd/ creates one.
import { pino, type Logger } from 'pino';

export function createLogger(component: string, level = process.env.SKIFF_LOG_LEVEL ?? 'info'): Logger {
  const pretty = process.stderr.isTTY && !process.env.SKIFF_LOG_JSON;
  const transport = pretty ? { target: 'pino-pretty', options: { destination: 2, colorize: true } } : undefined;
  return pino({ name: component, level, transport }, pretty ? undefined : pino.destination(2));
}
