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

/** Saves a screenshot for the README: taken by the test run, so it stays true. */
export async function screenshot(page: Page, name: string) {
  await page.screenshot({ path: `../docs/screenshots/${name}.png`, fullPage: true });
}
