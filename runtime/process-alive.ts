// Whether a PID is a live process (signal 0): lock files, pid files and state records name
// their owner by PID, and an owner that died (kill -9) must be told apart from a live one.
// Its own module so that light callers (the `skiff up` launcher) do not load more with it.
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists, owned by someone we may not signal.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
