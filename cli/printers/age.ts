// Ages in the CLI's printers, on apimachinery's HumanDuration (api/human-duration.ts), with
// an injectable clock.
import { ageOf } from '../../api/human-duration.js';

export { humanDuration } from '../../api/human-duration.js';

/** A clock the printers read "now" from; tests pass a fixed one instead of the wall clock. */
export type Clock = () => Date;
export const systemClock: Clock = () => new Date();

/** The age of a timestamp, or "<unknown>" when there is none (kubectl's translateTimestampSince). */
export function age(timestamp: string | null | undefined, clock: Clock = systemClock): string {
  return ageOf(timestamp, clock().getTime());
}
