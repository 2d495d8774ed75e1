/** What the three WSGI servers' settings share: how supervisor runs one, and where nginx reaches it. */
import { Listener } from "./listener";

/** The supervised process: its user, its graceful stop, its directories, and its listener. */
export interface SupervisedSettings {
  /** The user supervisor starts it as. */
  readonly processUser: string;
  /** The signal that stops it gracefully. */
  readonly stopSignal: "TERM" | "INT" | "QUIT";
  /** Seconds supervisor waits after that signal before it kills the process. */
  readonly stopWaitSecs: number;
  /** What nginx connects to. */
  readonly listener: Listener;
  /** Directories that must exist before it starts. */
  readonly requiredDirs: readonly string[];
}
