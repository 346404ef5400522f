import { test, expect } from "@playwright/test";
import { attemptSignIn, open, signIn, screenshot } from "./helpers";

test("a member signs in, lands on their account page and signs out", async ({ page }) => {
  await open(page, "/");
  await expect(page).toHaveURL(/\/sign-in$/);
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
  await screenshot(page, "sign-in");

  await signIn(page, "mia@example.com");
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByRole("heading", { name: "Your account" })).toBeVisible();
  await expect(page.getByRole("main")).toContainText("Mia Member");
  await expect(page.getByRole("link", { name: "Users" })).toHaveCount(0);

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/sign-in$/);
  await expect(page.getByRole("button", { name: "Sign out" })).toHaveCount(0);
  await open(page, "/account");
  await expect(page).toHaveURL(/\/sign-in\?next=\/account$/);
});

test("a wrong password is refused with a clear message", async ({ page }) => {
  await attemptSignIn(page, "max@example.com", "not-the-password");
  await expect(page.getByRole("alert")).toHaveText("Email or password is incorrect.");
  await expect(page).toHaveURL(/\/sign-in$/);
});

test("an admin lands on the user list and searches it without reloading the page", async ({ page }) => {
  await signIn(page, "ada@example.com");
  await expect(page).toHaveURL(/\/admin\/users$/);
  const table = page.getByRole("table");
  await expect(table.getByRole("columnheader")).toHaveText(["Name", "Email", "Role", "Status", "Consent", "Actions"]);
  await expect(table.getByRole("row")).toHaveCount(6); // header + 5 demo accounts
  await screenshot(page, "user-list");

  // A mark that a full page load would wipe out.
  await page.evaluate(() => ((window as any).stillTheSamePage = true));
  await page.getByRole("searchbox", { name: "Search users" }).fill("member");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page).toHaveURL(/\/admin\/users\?q=member$/);
  await expect(table.getByRole("row")).toHaveCount(3);
  await expect(table).toContainText("Mia Member");
  await expect(table).not.toContainText("Ada Admin");
  expect(await page.evaluate(() => (window as any).stillTheSamePage)).toBe(true);
});

test("a member who opens the user list is told it is not allowed", async ({ page }) => {
  await signIn(page, "max@example.com");
  await expect(page).toHaveURL(/\/account$/);
  const response = await page.goto("/admin/users");
  expect(response?.status()).toBe(403);
  await expect(page.getByRole("heading", { name: "Not allowed" })).toBeVisible();
  await expect(page.getByRole("table")).toHaveCount(0);
});
