// The local terminal of a session with a TTY (skiff exec -t, attach -t, cri exec -t): raw mode
// while the session runs, so keys such as Ctrl-C go to the remote process rather than to us,
// its size at start and on every SIGWINCH, and the mode restored however the session ends.
import { spawnSync } from 'node:child_process';
import type { TerminalSize } from '../../api/httpstream/remote-command.js';

export interface LocalTerminal {
  size(): TerminalSize;
  /** Calls `onResize` on every SIGWINCH until the returned function is called. */
  onResize(onResize: (size: TerminalSize) => void): () => void;
  /** Leaves raw mode (when we entered it). */
  restore(): void;
}

/** Puts stdin in raw mode when it is a TTY; undefined when there is no terminal to drive. */
export function rawTerminal(stdin: NodeJS.ReadStream = process.stdin, stdout: NodeJS.WriteStream = process.stdout): LocalTerminal | undefined {
  if (!stdin.isTTY) return undefined;
  const wasRaw = stdin.isRaw;
  stdin.setRawMode(true);
  // libuv's raw mode keeps output processing (ONLCR), so the remote terminal's CR LF would
  // show as CR CR LF; Go's term.MakeRaw, kubectl's, turns it off. stty does it on our stdin;
  // leaving raw mode restores libuv's saved settings, this one with them.
  if (stdin === process.stdin) spawnSync('stty', ['-opost'], { stdio: ['inherit', 'ignore', 'ignore'] });
  const size = (): TerminalSize => ({ Width: stdout.columns || 80, Height: stdout.rows || 24 });
  return {
    size,
    onResize(onResize) {
      const handler = () => onResize(size());
      process.on('SIGWINCH', handler);
      return () => process.off('SIGWINCH', handler);
    },
    restore() {
      if (!stdin.destroyed) stdin.setRawMode(wasRaw);
    },
  };
}
