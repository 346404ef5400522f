import { expect, Page } from "@playwright/test";
import { demoPassword } from "../playwright.config";

/** Opens a page and waits until it is hydrated (interactive), not just painted. */
export async function open(page: Page, path: string) {
  await page.goto(path);
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
}

/** Fills in and sends the sign-in form, whatever the outcome. */
export async function attemptSignIn(page: Page, email: string, password = demoPassword) {
  await open(page, "/sign-in");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** Signs in and waits until the person has landed on their start page. */
export async function signIn(page: Page, email: string, password = demoPassword) {
  await attemptSignIn(page, email, password);
  await page.waitForURL((url) => !url.pathname.startsWith("/sign-in"));
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
}

/**
 * Takes a screenshot for the README. The README's own files are rewritten only when asked
 * (`ACTAS_SCREENSHOTS=1`); an ordinary run keeps its pictures in `test-results/`.
 */
export async function screenshot(page: Page, name: string) {
  const folder = process.env.ACTAS_SCREENSHOTS === "1" ? "../docs/screenshots" : "test-results/screenshots";
  await page.screenshot({ path: `${folder}/${name}.png`, fullPage: true });
}

/** The member gives consent for 24 hours with full access (replacing any they had). */
export async function grantConsent(member: Page) {
  await open(member, "/settings/impersonation");
  await member.getByLabel("24 hours").check();
  await member.getByRole("group", { name: "Scope" }).first().getByLabel("Full access").check();
  await member.getByRole("button", { name: "Enable impersonation" }).click();
  await expect(member.getByRole("heading", { name: "Status: Active" })).toBeVisible();
}

/** An admin on the user list starts acting as the member, and lands in the member's view. */
export async function impersonate(admin: Page, memberName: string, reason: string) {
  await open(admin, "/admin/users");
  const row = admin.getByRole("row", { name: new RegExp(memberName) });
  await row.getByLabel(`Actions for ${memberName}`).click();
  await row.getByRole("menuitem", { name: "Impersonate user" }).click();
  const dialog = admin.getByRole("dialog", { name: "Impersonate user" });
  await dialog.getByLabel("Reason").fill(reason);
  await dialog.getByRole("button", { name: "Impersonate user" }).click();
  await expect(admin).toHaveURL(/\/account$/);
  await expect(admin.getByRole("region", { name: "Impersonation" })).toBeVisible();
}
