/** The first line of every file flaskstack writes, so an operator on the host knows not to edit it. */
export const MANAGED_HEADER = "# Managed by flaskstack — changes here are overwritten";
