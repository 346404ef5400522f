import { Browser, expect, Page } from "@playwright/test";
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
  await row.getByRole("button", { name: "Impersonate user", exact: true }).click();
  const dialog = admin.getByRole("dialog", { name: "Impersonate user" });
  await dialog.getByLabel("Reason").fill(reason);
  await dialog.getByRole("button", { name: "Impersonate user" }).click();
  await expect(admin).toHaveURL(/\/account$/);
  await expect(admin.getByRole("region", { name: "Impersonation" })).toBeVisible();
}

/** The member revokes consent, confirming in the dialog that asks first. */
export async function revokeConsent(member: Page) {
  await member.getByRole("button", { name: "Revoke consent" }).click();
  const dialog = member.getByRole("dialog", { name: "Revoke consent" });
  await expect(dialog).toContainText("a session open now ends at once");
  await dialog.getByRole("button", { name: "Revoke consent" }).click();
  await expect(dialog).toHaveCount(0);
}

/**
 * The administrator is back on their own user list with the notice saying why their session
 * ended, and nothing of the member's on screen.
 */
export async function expectBackInOwnView(admin: Page, why: string) {
  await expect(admin).toHaveURL(/\/admin\/users/);
  const notice = admin.getByRole("status").filter({ hasText: "Impersonation session ended" });
  await expect(notice).toContainText(why);
  await expect(notice).toContainText("You are back in your own account.");
  await expect(admin.getByRole("region", { name: "Impersonation" })).toHaveCount(0);
  await expect(admin.getByRole("heading", { name: "Users", exact: true })).toBeVisible();
  await expect(admin.getByRole("link", { name: "Projects" })).toHaveCount(0);
}

/** Runs axe-core (from npm, offline) on the page as it is, and expects no violations. */
export async function expectAccessible(page: Page, what: string) {
  await page.addScriptTag({ path: require.resolve("axe-core/axe.min.js") });
  const violations = await page.evaluate(async () => {
    // @ts-ignore: injected above
    const result = await window.axe.run(document, { resultTypes: ["violations"] });
    return result.violations.map(
      (v: { id: string; help: string; nodes: { target: string[] }[] }) =>
        `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`,
    );
  });
  expect(violations, `accessibility violations on ${what}`).toEqual([]);
}

/** Nothing on the page is wider than the screen: it never scrolls sideways. */
export async function expectNoSidewaysScroll(page: Page, what: string) {
  const widths = await page.evaluate(() => ({
    page: document.documentElement.scrollWidth,
    screen: document.documentElement.clientWidth,
  }));
  expect(widths.page, `${what} scrolls sideways`).toBeLessThanOrEqual(widths.screen);
}

/** An owner adds a person on /admin/users; the link shown once is returned. */
export async function addUser(owner: Page, name: string, email: string, role: string): Promise<string> {
  await open(owner, "/admin/users");
  await owner.getByRole("button", { name: "Add user" }).click();
  const dialog = owner.getByRole("dialog", { name: "Add user" });
  await dialog.getByLabel("Name").fill(name);
  await dialog.getByLabel("Email").fill(email);
  await dialog.getByLabel("Role").selectOption(role);
  await dialog.getByRole("button", { name: "Add user" }).click();
  const link = dialog.getByLabel("Set password link");
  await expect(link).toHaveValue(/\/set-password\?token=[0-9a-f]{64}$/);
  const url = await link.inputValue();
  await dialog.getByRole("button", { name: "Close" }).click();
  await expect(dialog).toBeHidden();
  return url;
}

/** Opens a Set password link in a browser of its own, sets the password and signs in. */
export async function setPasswordAndSignIn(browser: Browser, link: string, email: string, password: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto(link);
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  await expect(page.getByText(`Choose the password for ${email}`)).toBeVisible();
  await page.getByLabel("New password", { exact: true }).fill(password);
  await page.getByLabel("Repeat new password").fill(password);
  await page.getByRole("button", { name: "Set password" }).click();
  await expect(page).toHaveURL(/\/sign-in\?password=set$/);
  await expect(page.getByRole("status")).toContainText("Your password is set");
  // Signs in right there, on whichever instance the link named.
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((url) => !url.pathname.startsWith("/sign-in"));
  return page;
}

