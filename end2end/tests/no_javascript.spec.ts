import { test, expect } from "@playwright/test";
import { demoPassword } from "../playwright.config";

// Before the page is hydrated (or where scripts never run) the forms still work: they post
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
