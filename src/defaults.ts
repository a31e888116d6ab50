// Defaults that help texts mention; kept apart so that building the program loads nothing else.
export const DEFAULT_TIMEOUT_SECONDS = 10;
export const DEFAULT_CLOCK_SKEW_SECONDS = 30;
