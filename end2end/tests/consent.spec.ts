import { test, expect, Page } from "@playwright/test";
import { open, revokeConsent, signIn, screenshot } from "./helpers";

function status(page: Page) {
  return page.getByRole("status").filter({ has: page.getByRole("heading", { name: /^Status:/ }) });
}

test("a member enables consent with a preset, sees it, and revokes it", async ({ page }) => {
  await signIn(page, "mia@example.com");
  await page.getByRole("link", { name: "Impersonation" }).click();
  await expect(page).toHaveURL(/\/settings\/impersonation$/);
  await expect(status(page)).toContainText("Not active");

  await page.getByLabel("24 hours").check();
  await page.getByRole("group", { name: "Scope" }).first().getByLabel("Full access").check();
  // Drawn in place: the page is never loaded again (a mark left on it stays).
  await page.evaluate(() => ((window as any).samePage = true));
  await page.getByRole("button", { name: "Enable impersonation" }).click();

  await expect(status(page)).toContainText("Active");
  await expect(status(page)).toContainText(/Expires: \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/);
  await expect(status(page)).toContainText("Scope: Full access");
  await screenshot(page, "member-impersonation");

  await revokeConsent(page);
  await expect(status(page)).toContainText("Not active");
  await expect(page.getByRole("button", { name: "Revoke consent" })).toHaveCount(0);
  // Focus was on the button that is gone: it lands on the news.
  await expect(page.getByRole("heading", { name: "Status: Not active" })).toBeFocused();
  expect(await page.evaluate(() => (window as any).samePage)).toBe(true);
});

test("a custom duration sets the expiry; 169 hours is refused and changes nothing", async ({ page }) => {
  await signIn(page, "max@example.com");
  await open(page, "/settings/impersonation");

  // The box for hours is there only once `Custom` is chosen.
  await expect(page.getByLabel("Custom hours (1 to 168)")).toBeHidden();
  await page.getByLabel("Custom", { exact: true }).check();
  await page.getByLabel("Custom hours (1 to 168)").fill("169");
  const sent: string[] = [];
  page.on("request", (request) => {
    if (request.method() === "POST" && new URL(request.url()).pathname === "/api/grant_consent") sent.push(request.url());
  });
  await page.getByRole("button", { name: "Enable impersonation" }).dblclick();
  await expect(page.getByRole("alert")).toHaveText("The duration must be from 1 to 168 hours.");
  // Pressed twice, sent once; the form stays as it was sent.
  expect(sent).toHaveLength(1);
  await expect(page.getByLabel("Custom", { exact: true })).toBeChecked();
  await expect(page.getByLabel("Custom hours (1 to 168)")).toHaveValue("169");
  // The error is tied to the field it concerns, and focus stayed where the person was.
  const hoursBox = page.getByLabel("Custom hours (1 to 168)");
  await expect(hoursBox).toHaveAttribute("aria-invalid", "true");
  await expect(hoursBox).toHaveAccessibleDescription("The duration must be from 1 to 168 hours.");
  await expect(page.getByRole("button", { name: "Enable impersonation" })).toBeFocused();
  await expect(status(page)).toContainText("Not active");

  await page.getByLabel("Custom hours (1 to 168)").fill("5");
  await page.getByRole("button", { name: "Enable impersonation" }).click();
  await expect(status(page)).toContainText("Active");
  await expect(status(page)).toContainText("Scope: View only");
  await expect(page.getByRole("alert")).toHaveCount(0);

  // The status survives a reload: it is the server's, not the page's.
  await open(page, "/settings/impersonation");
  await expect(status(page)).toContainText("Active");
  const expires = await status(page).getByText(/^Expires:/).textContent();
  const shown = Date.parse(expires!.replace("Expires: ", "").replace(" UTC", "Z").replace(" ", "T"));
  const hours = (shown - Date.now()) / 3_600_000;
  expect(hours).toBeGreaterThan(4.9);
  expect(hours).toBeLessThanOrEqual(5);
});

test("a member generates a support code, shown once", async ({ page }) => {
  await signIn(page, "mia@example.com");
  await open(page, "/settings/impersonation");
  await page.getByRole("button", { name: "Generate support code" }).click();
  await expect(page.getByLabel("Your support code")).toHaveText(/^[A-HJKMNP-Z2-9]{8}$/);
  await open(page, "/settings/impersonation");
  await expect(page.getByLabel("Your support code")).toHaveCount(0);
});
