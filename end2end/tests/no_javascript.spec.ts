import { test, expect, Browser } from "@playwright/test";
import { demoPassword } from "../playwright.config";
import { expectBackInOwnView } from "./helpers";

// Before the browser's client has started (or where scripts never run) the forms still work: they post
// to the server, which answers with the page again.
test.use({ javaScriptEnabled: false });

test("without JavaScript a member signs in and enables consent; a bad duration is refused", async ({ page }) => {
  await page.goto("/sign-in");
  await page.getByLabel("Email").fill("mia@example.com");
  await page.getByLabel("Password").fill(demoPassword);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/account$/);

  await page.goto("/settings/impersonation");
  // Other tests share this member; whatever the status is, a refused change leaves it be.
  const statusBefore = await page.getByRole("heading", { name: /^Status:/ }).textContent();
  await page.getByLabel("Custom", { exact: true }).check();
  await page.getByLabel("Custom hours (1 to 168)").fill("169");
  await page.getByRole("button", { name: "Enable impersonation" }).click();
  await expect(page.getByRole("alert")).toHaveText("The duration must be from 1 to 168 hours.");
  await expect(page.getByRole("heading", { name: /^Status:/ })).toHaveText(statusBefore!);

  await page.getByLabel("72 hours").check();
  await page.getByRole("button", { name: "Enable impersonation" }).click();
  await expect(page.getByRole("heading", { name: "Status: Active" })).toBeVisible();
  await expect(page.getByRole("alert")).toHaveCount(0);

  await page.getByRole("button", { name: "Revoke consent" }).click();
  await expect(page.getByRole("heading", { name: "Status: Not active" })).toBeVisible();

  // A support code is shown in the action's answer, which a plain post cannot display.
  // (Playwright disables scripts by emulation, so the page's <noscript> note stays hidden here.)
  await expect(page.getByRole("button", { name: "Generate support code" })).toBeDisabled();
});

/** A page in a browser of its own with scripts off, signed in as `email`. */
async function signedInWithoutScripts(browser: Browser, email: string) {
  const page = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
  await page.goto("/sign-in");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(demoPassword);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((url) => !url.pathname.startsWith("/sign-in"));
  return page;
}

test("without JavaScript the three transitions work: consent, start and exit", async ({ browser }) => {
  const member = await signedInWithoutScripts(browser, "max@example.com");
  await member.goto("/settings/impersonation");
  await member.getByLabel("24 hours").check();
  await member.getByRole("button", { name: "Enable impersonation" }).click();
  await expect(member.getByRole("heading", { name: "Status: Active" })).toBeVisible();

  const admin = await signedInWithoutScripts(browser, "ada@example.com");
  const row = admin.getByRole("row", { name: /Max Member/ });
  await row.getByLabel("Actions for Max Member").click();
  await row.getByRole("button", { name: "Impersonate user", exact: true }).click();
  const dialog = admin.getByRole("dialog", { name: "Impersonate user" });
  await dialog.getByLabel("Reason").fill("TICKET-7300 no scripts");
  await dialog.getByRole("button", { name: "Impersonate user" }).click();
  await expect(admin).toHaveURL(/\/account$/);
  const banner = admin.getByRole("region", { name: "Impersonation" });
  await expect(banner).toContainText("You are impersonating Max Member (max@example.com)");
  await expect(banner.getByRole("timer", { name: "Time left" })).toHaveText(/^(29|30):\d\d$/);

  await banner.getByRole("button", { name: "Exit impersonation" }).click();
  await expectBackInOwnView(admin, "You exited the impersonation session.");
  await member.context().close();
  await admin.context().close();
});

test("without JavaScript a visitor sent to sign in comes back to the page they asked for", async ({ page }) => {
  await page.goto("/projects");
  await expect(page).toHaveURL(/\/sign-in\?next=(%2F|\/)projects$/);
  await page.getByLabel("Email").fill("max@example.com");
  await page.getByLabel("Password").fill(demoPassword);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/projects$/);
});

test("without JavaScript the activity log keeps its filters in the form", async ({ page }) => {
  await page.goto("/sign-in");
  await page.getByLabel("Email").fill("ada@example.com");
  await page.getByLabel("Password").fill(demoPassword);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.goto("/admin/activity?subject=mia%40example.com&kind=sign_in");
  await expect(page.getByLabel("Subject")).toHaveValue("mia@example.com");
  await expect(page.getByLabel("Kind")).toHaveValue("sign_in");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/subject=mia%40example.com/);
  await expect(page.getByRole("table").getByRole("row").nth(1)).toContainText("Mia Member <mia@example.com>");
});
