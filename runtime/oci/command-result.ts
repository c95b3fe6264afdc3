// What a finished command gave back, whether run directly or by the spawn companion. Its own
// file because both command.ts and spawner.ts speak it, and command.ts uses spawner.ts.
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}
