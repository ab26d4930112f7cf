import cron, { type ScheduledTask } from 'node-cron';
import type { SettingsTable } from '../meta/settings.js';
import type { Logger } from '../logger.js';

const SETTING = 'gc.schedule';

export class InvalidScheduleError extends Error {
  constructor(schedule: string) {
    super(`"${schedule}" is not a valid cron expression (five fields, e.g. "0 3 * * *" for 03:00 every day)`);
    this.name = 'InvalidScheduleError';
  }
}

export interface GcScheduleState {
  /** The cron expression in force; '' when scheduled GC is off. */
  schedule: string;
  /** Where it comes from: the config file (default) or a change made in the GUI/API (kept in the database). */
  source: 'config' | 'settings';
  configDefault: string;
}

/**
 * The scheduled garbage collection: one node-cron task, replaced live when the schedule changes. A schedule
 * set through the API is stored in the settings table and overrides the config file's `gc.schedule`.
 */
export class GcSchedule {
  private task: ScheduledTask | undefined;

  constructor(
    private readonly settings: SettingsTable,
    private readonly configDefault: string,
    private readonly run: () => void,
    private readonly log: Logger,
  ) {}

  static isValid(schedule: string): boolean {
    return schedule === '' || cron.validate(schedule);
  }

  get state(): GcScheduleState {
    const stored = this.settings.get(SETTING);
    return { schedule: stored ?? this.configDefault, source: stored === undefined ? 'config' : 'settings', configDefault: this.configDefault };
  }

  /** Starts the task for the schedule in force (call once at start). */
  start(): void {
    this.apply(this.state.schedule);
  }

  /** Sets the schedule ('' = off), or with null goes back to the config file's value. Throws when invalid. */
  async set(schedule: string | null): Promise<GcScheduleState> {
    if (schedule !== null && !GcSchedule.isValid(schedule)) throw new InvalidScheduleError(schedule);
    if (schedule === null) this.settings.delete(SETTING);
    else this.settings.set(SETTING, schedule);
    await this.stop();
    this.apply(this.state.schedule);
    this.log.info({ schedule: this.state.schedule, source: this.state.source }, 'garbage collection schedule changed');
    return this.state;
  }

  async stop(): Promise<void> {
    const t = this.task;
    this.task = undefined;
    // destroy, not stop: a stopped task stays in node-cron's global registry, and schedules change often.
    await t?.destroy();
  }

  private apply(schedule: string): void {
    if (!schedule) return;
    if (!cron.validate(schedule)) {
      this.log.warn({ schedule }, 'gc.schedule is not a valid cron expression; scheduled GC is off');
      return;
    }
    this.task = cron.schedule(schedule, () => this.run());
  }
}
