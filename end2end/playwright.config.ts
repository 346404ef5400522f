import { defineConfig } from "@playwright/test";

// The app under test: the debug build made by `cargo leptos build`, on a fresh SQLite file,
// with the demo accounts' password fixed so tests can sign in.
const port = Number(process.env.ACTAS_E2E_PORT ?? 3100);
export const demoPassword = "e2e-demo-password";
/** The instance with a 6-second session cap. */
export const shortPort = Number(process.env.ACTAS_E2E_SHORT_PORT ?? 3101);
export const shortBase = `http://127.0.0.1:${shortPort}`;
/**
 * An instance of its own for the people tests, which add accounts and change roles, and the
 * access-request tests (their requests would otherwise show on the main instance's user list).
 */
export const peoplePort = Number(process.env.ACTAS_E2E_PEOPLE_PORT ?? 3103);
export const peopleBase = `http://127.0.0.1:${peoplePort}`;
/** Its SQLite file, from the repository's root. */
export const peopleDatabase = "target/e2e-people/actas.db";
/** An instance on an empty database without demo accounts, for `actas create-owner`. */
export const emptyPort = Number(process.env.ACTAS_E2E_EMPTY_PORT ?? 3102);
export const emptyDatabase = "sqlite://target/e2e-empty/actas.db";

export default defineConfig({
  testDir: "./tests",
  timeout: 30_000,
  expect: { timeout: 5_000 },
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  retries: 0,
  reporter: [["list"]],
  outputDir: "test-results",
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
      ],
    },
  },
  webServer: [
    {
      command: "rm -rf target/e2e && exec target/debug/actas",
      cwd: "..",
      url: `http://127.0.0.1:${port}/sign-in`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: "pipe",
      env: {
        ACTAS_ADDR: `127.0.0.1:${port}`,
        DATABASE_URL: "sqlite://target/e2e/actas.db",
        ACTAS_DEMO_PASSWORD: demoPassword,
        LEPTOS_SITE_ROOT: "target/site",
        RUST_LOG: "warn",
      },
    },
    {
      // A second instance whose sessions last seconds, for expiry (a setting, not a sleep).
      command: "rm -rf target/e2e-short && exec target/debug/actas",
      cwd: "..",
      url: `http://127.0.0.1:${shortPort}/sign-in`,
      reuseExistingServer: false,
      timeout: 60_000,
      env: {
        ACTAS_ADDR: `127.0.0.1:${shortPort}`,
        DATABASE_URL: "sqlite://target/e2e-short/actas.db",
        ACTAS_DEMO_PASSWORD: demoPassword,
        ACTAS_MAX_SESSION_SECONDS: "6",
        LEPTOS_SITE_ROOT: "target/site",
        RUST_LOG: "warn",
      },
    },
    {
      command: "rm -rf target/e2e-people && exec target/debug/actas",
      cwd: "..",
      url: `${peopleBase}/sign-in`,
      reuseExistingServer: false,
      timeout: 60_000,
      env: {
        ACTAS_ADDR: `127.0.0.1:${peoplePort}`,
        DATABASE_URL: `sqlite://${peopleDatabase}`,
        ACTAS_DEMO_PASSWORD: demoPassword,
        LEPTOS_SITE_ROOT: "target/site",
        RUST_LOG: "warn",
      },
    },
    {
      command: "rm -rf target/e2e-empty && exec target/debug/actas",
      cwd: "..",
      url: `http://127.0.0.1:${emptyPort}/sign-in`,
      reuseExistingServer: false,
      timeout: 60_000,
      env: {
        ACTAS_ADDR: `127.0.0.1:${emptyPort}`,
        DATABASE_URL: emptyDatabase,
        ACTAS_DEMO: "0",
        LEPTOS_SITE_ROOT: "target/site",
        RUST_LOG: "warn",
      },
    },
  ],
});
