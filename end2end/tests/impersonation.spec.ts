import { test, expect, Browser } from "@playwright/test";
import {
  expectBackInOwnView,
  grantConsent,
  impersonate,
  open,
  revokeConsent,
  signIn,
  screenshot,
} from "./helpers";

test("a member grants consent; an allowed admin impersonates, sees the banner and exits", async ({ browser }) => {
  const memberContext = await browser.newContext();
  const member = await memberContext.newPage();
  await signIn(member, "mia@example.com");
  await open(member, "/settings/impersonation");
  await member.getByLabel("24 hours").check();
  await member.getByRole("group", { name: "Scope" }).first().getByLabel("Full access").check();
  await member.getByRole("button", { name: "Enable impersonation" }).click();
  await expect(member.getByRole("heading", { name: "Status: Active" })).toBeVisible();
  await open(member, "/projects");
  await member.getByLabel("New project name").fill("Mia's greenhouse");
  await member.getByRole("button", { name: "Create project" }).click();
  await expect(member.getByRole("row", { name: /Mia's greenhouse/ })).toBeVisible();

  const adminContext = await browser.newContext();
  const admin = await adminContext.newPage();
  await signIn(admin, "ada@example.com");
  const row = admin.getByRole("row", { name: /Mia Member/ });
  await expect(row).toContainText(/Active until \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC, Full access/);
  await row.getByLabel("Actions for Mia Member").click();
  await row.getByRole("button", { name: "Impersonate user", exact: true }).click();

  const dialog = admin.getByRole("dialog", { name: "Impersonate user" });
  await expect(dialog).toContainText(
    "You will temporarily act as Mia Member and have their permissions. To return to your account, use Exit impersonation in the banner.",
  );
  await expect(dialog.getByLabel("Reason")).toBeFocused();
  await expect(dialog.getByLabel("Support code")).toHaveCount(0);
  await screenshot(admin, "impersonate-dialog");
  await dialog.getByLabel("Reason").fill("TICKET-4242 greenhouse missing");
  await dialog.getByRole("button", { name: "Impersonate user" }).click();

  await expect(admin).toHaveURL(/\/account$/);
  const banner = admin.getByRole("region", { name: "Impersonation" });
  await expect(banner).toContainText("You are impersonating Mia Member (mia@example.com)");
  await expect(banner).toContainText("Full access");
  const timer = banner.getByRole("timer", { name: "Time left" });
  const first = await timer.textContent();
  expect(first).toMatch(/^(29|30):\d{2}$/);
  await expect(timer).not.toHaveText(first!, { timeout: 3_000 }); // it ticks
  await expect(admin.getByRole("link", { name: "Impersonation" })).toHaveCount(0);
  await open(admin, "/projects");
  await expect(admin.getByRole("row", { name: /Mia's greenhouse/ })).toBeVisible();
  await screenshot(admin, "banner");

  await admin.getByRole("button", { name: "Exit impersonation" }).click();
  await expectBackInOwnView(admin, "You exited the impersonation session.");

  await memberContext.close();
  await adminContext.close();
});

test("an admin without the grant sees no Impersonate user and the endpoint answers 403", async ({ page }) => {
  await signIn(page, "sam@example.com");
  await expect(page.getByRole("table")).toBeVisible();
  // Staff may sign a member out everywhere; impersonating is not offered at all.
  const row = page.getByRole("row", { name: /Mia Member/ });
  await row.getByLabel("Actions for Mia Member").click();
  await expect(row.getByRole("button", { name: "Sign out everywhere" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Impersonate user", exact: true })).toHaveCount(0);
  const response = await page.request.post("/api/start_impersonation", {
    form: { target_id: "4", reason: "TICKET-1 trying anyway" },
  });
  expect(response.status()).toBe(403);
});

test("the member sees who is acting and ends the session; the admin's next request says why", async ({ browser }) => {
  const memberContext = await browser.newContext();
  const member = await memberContext.newPage();
  await signIn(member, "max@example.com");
  await open(member, "/settings/impersonation");
  await member.getByLabel("1 hour", { exact: true }).check();
  await member.getByRole("button", { name: "Enable impersonation" }).click();
  await expect(member.getByRole("heading", { name: "Status: Active" })).toBeVisible();

  const adminContext = await browser.newContext();
  const admin = await adminContext.newPage();
  await signIn(admin, "owner@example.com");
  const row = admin.getByRole("row", { name: /Max Member/ });
  await row.getByLabel("Actions for Max Member").click();
  await row.getByRole("button", { name: "Impersonate user", exact: true }).click();
  const dialog = admin.getByRole("dialog", { name: "Impersonate user" });
  await dialog.getByLabel("Reason").press("Escape");
  await expect(dialog).toHaveCount(0);
  await expect(row.getByRole("button", { name: "Impersonate user", exact: true })).toBeHidden(); // the menu closed
  await row.getByLabel("Actions for Max Member").click();
  await row.getByRole("button", { name: "Impersonate user", exact: true }).click();
  await dialog.getByLabel("Reason").fill("TICKET-5151 settings check");
  await dialog.getByRole("button", { name: "Impersonate user" }).click();
  await expect(admin.getByRole("region", { name: "Impersonation" })).toContainText("View only");

  await open(member, "/account");
  const notice = member.getByRole("status").filter({ hasText: "Support is acting on your account" });
  await expect(notice).toContainText("Olivia Owner");
  await notice.getByRole("button", { name: "End session" }).click();
  await expect(member.getByText("Support is acting on your account")).toHaveCount(0);
  await expect(member.getByRole("status").filter({ hasText: "You ended the session" })).toContainText(
    "support can no longer act on your account",
  );

  // The administrator's open page goes back to their own view by itself, saying why.
  await expectBackInOwnView(admin, "The member ended the session.");

  await memberContext.close();
  await adminContext.close();
});

test("live: the member sees support arrive; on revoke the admin's banner goes within 2 seconds", async ({ browser }) => {
  const memberContext = await browser.newContext();
  const member = await memberContext.newPage();
  await signIn(member, "mia@example.com");
  await open(member, "/settings/impersonation");
  await member.getByLabel("72 hours").check();
  await member.getByRole("button", { name: "Enable impersonation" }).click();
  await expect(member.getByRole("heading", { name: "Status: Active" })).toBeVisible();

  const adminContext = await browser.newContext();
  const admin = await adminContext.newPage();
  await signIn(admin, "ada@example.com");
  const row = admin.getByRole("row", { name: /Mia Member/ });
  await row.getByLabel("Actions for Mia Member").click();
  await row.getByRole("button", { name: "Impersonate user", exact: true }).click();
  const dialog = admin.getByRole("dialog", { name: "Impersonate user" });
  await dialog.getByLabel("Reason").fill("TICKET-6000 live check");
  await dialog.getByRole("button", { name: "Impersonate user" }).click();
  await expect(admin.getByRole("region", { name: "Impersonation" })).toBeVisible();
  await open(admin, "/projects");

  // The member's open page learns of it without a reload.
  await expect(member.getByText("Support is acting on your account")).toBeVisible({ timeout: 2_000 });
  await expect(member.getByRole("status").filter({ hasText: "Support is acting" })).toContainText("Ada Admin");
  // Its history follows too: the new session is listed as ongoing, no reload needed.
  const session = member
    .getByRole("region", { name: "Sessions" })
    .getByRole("row", { name: /TICKET-6000 live check/ });
  await expect(session).toContainText("Ongoing");

  const revokedAt = Date.now();
  await revokeConsent(member);
  await expect(admin.getByRole("region", { name: "Impersonation" })).toHaveCount(0, { timeout: 2_000 });
  const elapsed = Date.now() - revokedAt;
  console.log(`revoke to banner gone: ${elapsed} ms`);
  await expectBackInOwnView(admin, "The member revoked their consent.");
  await expect(admin.getByLabel("New project name")).toHaveCount(0);
  await expect(session).toContainText("consent revoked");
  await expect(session.getByRole("button", { name: "End session" })).toHaveCount(0);

  await memberContext.close();
  await adminContext.close();
});

/**
 * Max grants consent; Ada, in a browser whose clock the test moves, starts acting as him. The
 * banner's timer, and the seconds it shows.
 */
async function actingOnAMovedClock(browser: Browser, reason: string) {
  const member = await (await browser.newContext()).newPage();
  await signIn(member, "max@example.com");
  await grantConsent(member);
  const adminContext = await browser.newContext();
  await adminContext.clock.install();
  const admin = await adminContext.newPage();
  await signIn(admin, "ada@example.com");
  await impersonate(admin, "Max Member", reason);
  const timer = admin.getByRole("region", { name: "Impersonation" }).getByRole("timer", { name: "Time left" });
  const seconds = async () => {
    const [minutes, rest] = ((await timer.textContent()) ?? "").split(":").map(Number);
    return minutes * 60 + rest;
  };
  await expect(timer).toHaveText(/^(29|30):\d\d$/);
  return { admin, seconds };
}

test("the countdown keeps to its deadline when the browser's timers fall behind", async ({ browser }) => {
  const { admin, seconds } = await actingOnAMovedClock(browser, "TICKET-7100 countdown after sleep");
  const before = await seconds();
  // Five minutes pass; a timer due many times in them fires at most once.
  await admin.clock.fastForward("05:00");
  await expect.poll(seconds).toBeLessThanOrEqual(before - 299);
  expect(await seconds()).toBeGreaterThanOrEqual(before - 305);
  await admin.getByRole("button", { name: "Exit impersonation" }).click();
  await expect(admin).toHaveURL(/\/admin\/users/);
  await admin.context().close();
});

test("after a sleep the countdown shows the time that truly remains", async ({ browser }) => {
  const { admin, seconds } = await actingOnAMovedClock(browser, "TICKET-7200 countdown after a real sleep");
  const before = await seconds();
  // A real sleep: the wall clock moves on while the monotonic clock (performance.now) and the
  // page's timers stand still, as Chrome on macOS and Linux keeps them.
  const slept = 300_000;
  await admin.clock.setSystemTime((await admin.evaluate(() => Date.now())) + slept);
  await expect.poll(seconds).toBeLessThanOrEqual(before - 295);
  expect(await seconds()).toBeGreaterThanOrEqual(before - 305);
  await admin.getByRole("button", { name: "Exit impersonation" }).click();
  await expectBackInOwnView(admin, "You exited the impersonation session.");
  await admin.context().close();
});
