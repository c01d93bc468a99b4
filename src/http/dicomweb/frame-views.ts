/**
 * Aggregation of frame requests into `view` events (docs/AUDIT.md, granularity): a viewer fetches
 * a study frame by frame, hundreds of requests a minute; the trail gets one `view` event per study,
 * session and minute. The event is written with the first request of the window, before any frame
 * leaves (an access that cannot be recorded is refused); later requests of the same window only
 * count. Memory holds the current minute's windows only.
 */
export class FrameViewLedger {
  private minute = -1;
  private readonly seen = new Map<string, number>();

  /** True when this request opens a new (session, study, minute) window: the caller records the event. */
  opensWindow(sessionId: string, studyInstanceUid: string, now: Date, frames: number): boolean {
    const minute = Math.floor(now.getTime() / 60_000);
    if (minute !== this.minute) {
      this.minute = minute;
      this.seen.clear();
    }
    const key = `${sessionId}\u0000${studyInstanceUid}`;
    const count = this.seen.get(key);
    this.seen.set(key, (count ?? 0) + frames);
    return count === undefined;
  }

  /** Forgets a window whose event could not be written, so that the next request tries again. */
  forget(sessionId: string, studyInstanceUid: string): void {
    this.seen.delete(`${sessionId}\u0000${studyInstanceUid}`);
  }
}
