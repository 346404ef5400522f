import { test, expect, Browser, Page } from "@playwright/test";
import { peopleBase } from "../playwright.config";
import {
  addUser,
  expectAccessible,
  expectBackInOwnView,
  expectNoSidewaysScroll,
  grantConsent,
  impersonate,
  open,
  screenshot,
  setPasswordAndSignIn,
  signIn,
} from "./helpers";

// On the people instance: each test adds the members it changes, so nothing else is touched.
// Each test walks through many screens and browsers.
test.use({ baseURL: peopleBase });
test.describe.configure({ timeout: 90_000 });

/** A new member, signed in in a browser of their own. */
async function newMember(browser: Browser, owner: Page, name: string, email: string): Promise<Page> {
  const link = await addUser(owner, name, email, "member");
  return setPasswordAndSignIn(browser, link, email, `${email}-password`);
}

test("keyboard only: the impersonation dialog keeps focus inside, Escape always closes it, focus returns; a whole impersonation", async ({ browser }) => {
  const owner = await (await browser.newContext()).newPage();
  await signIn(owner, "owner@example.com");
  const kai = await newMember(browser, owner, "Kai Keys", "kai@example.com");

  await open(owner, "/admin/users");
  const summary = owner.getByLabel("Actions for Kai Keys");
  const row = owner.getByRole("row", { name: /Kai Keys/ });
  const start = row.getByRole("button", { name: "Impersonate user", exact: true });
  await summary.focus();
  await owner.keyboard.press("Enter");
  await owner.keyboard.press("Tab");
  await expect(start).toBeFocused();
  await owner.keyboard.press("Enter");

  // No consent: a support code is asked for. Focus is in the first field, and Tab cycles.
  const dialog = owner.getByRole("dialog", { name: "Impersonate user" });
  const reason = dialog.getByLabel("Reason");
  const code = dialog.getByLabel("Support code");
  await expect(reason).toBeFocused();
  await owner.keyboard.type("TICKET-8100 keyboard check");
  await owner.keyboard.press("Tab");
  await expect(code).toBeFocused();
  await owner.keyboard.press("Tab");
  await expect(dialog.getByRole("button", { name: "Cancel" })).toBeFocused();
  await owner.keyboard.press("Tab");
  await expect(dialog.getByRole("button", { name: "Impersonate user" })).toBeFocused();
  await owner.keyboard.press("Tab");
  await expect(reason).toBeFocused();
  await owner.keyboard.press("Shift+Tab");
  await expect(dialog.getByRole("button", { name: "Impersonate user" })).toBeFocused();

  // The page behind is inert: nothing there takes focus while the dialog is open.
  const focusBehind = await owner.evaluate(() => {
    const search = document.getElementById("user-search") as HTMLInputElement;
    search.focus();
    return document.activeElement === search;
  });
  expect(focusBehind).toBe(false);

  // A wrong code: the refusal is said in the dialog, tied to the field; Escape still closes.
  await code.fill("00000000");
  await code.press("Enter");
  await expect(dialog.getByRole("alert")).toBeVisible();
  await expect(code).toHaveAttribute("aria-invalid", "true");
  await owner.keyboard.press("Escape");
  await expect(dialog).toHaveCount(0);
  await expect(summary).toBeFocused();

  // With consent, a whole impersonation by keyboard, there and back.
  await grantConsent(kai);
  await open(owner, "/admin/users");
  await summary.focus();
  await owner.keyboard.press("Enter");
  await owner.keyboard.press("Tab");
  await owner.keyboard.press("Enter");
  await expect(reason).toBeFocused();
  await owner.keyboard.type("TICKET-8101 keyboard session");
  await owner.keyboard.press("Tab");
  await owner.keyboard.press("Tab");
  await owner.keyboard.press("Enter");
  await expect(owner).toHaveURL(/\/account$/);
  const banner = owner.getByRole("region", { name: "Impersonation" });
  await expect(banner).toContainText("You are impersonating Kai Keys (kai@example.com)");
  await expect(owner.locator("body")).toHaveAttribute("data-hydrated", "true");
  // The banner comes first: one Tab reaches its Exit impersonation.
  await owner.keyboard.press("Tab");
  await expect(banner.getByRole("button", { name: "Exit impersonation" })).toBeFocused();
  await owner.keyboard.press("Enter");
  await expectBackInOwnView(owner, "You exited the impersonation session.");
});

test("a session left behind in another browser is shown there, with whom and until when, and ends from there", async ({ browser }) => {
  const owner = await (await browser.newContext()).newPage();
  await signIn(owner, "owner@example.com");
  const lea = await newMember(browser, owner, "Lea Left", "lea@example.com");
  await grantConsent(lea);
  const laptop = await (await browser.newContext()).newPage();
  await signIn(laptop, "ada@example.com");
  await impersonate(laptop, "Lea Left", "TICKET-8200 left behind");
  await expect(lea.getByText("Support is acting on your account")).toBeVisible();

  // Elsewhere, Ada signs in again: she sees the session and can end it.
  const desk = await (await browser.newContext()).newPage();
  await signIn(desk, "ada@example.com");
  const open = desk.getByRole("region", { name: "Your impersonation session is still open in another browser" });
  await expect(open).toContainText("You are acting as Lea Left (lea@example.com) since");
  await expect(open).toContainText(/until \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/);
  await open.getByRole("button", { name: "Exit impersonation" }).click();
  await expect(open).toHaveCount(0);

  // The browser left behind is told within seconds, and goes back to Ada's own view.
  await expectBackInOwnView(laptop, "You exited the impersonation session.");
  // Lea's open page follows too: nobody acts on her account any more.
  await expect(lea.getByText("Support is acting on your account")).toHaveCount(0);
});

test("after a suspension or a role change of the member, the administrator is back in their own view, told why", async ({ browser }) => {
  const owner = await (await browser.newContext()).newPage();
  await signIn(owner, "owner@example.com");
  const sue = await newMember(browser, owner, "Sue Suspended", "sue@example.com");
  await grantConsent(sue);
  const rod = await newMember(browser, owner, "Rod Role", "rod@example.com");
  await grantConsent(rod);
  const admin = await (await browser.newContext()).newPage();
  await signIn(admin, "ada@example.com");

  for (const [name, item, title, why] of [
    ["Sue Suspended", "Suspend", "Suspend user", "The member's account was suspended or closed."],
    ["Rod Role", "Change role", "Change role", "The member's role changed, so they can no longer be impersonated."],
  ]) {
    await impersonate(admin, name, "TICKET-8300 endings");
    await open(owner, "/admin/users");
    const row = owner.getByRole("row", { name: new RegExp(name) });
    await row.getByLabel(`Actions for ${name}`).click();
    await row.getByRole("button", { name: item, exact: true }).click();
    const dialog = owner.getByRole("dialog", { name: title });
    if (item === "Change role") await dialog.getByLabel("New role").selectOption("admin");
    await dialog.getByRole("button", { name: item, exact: true }).click();
    await expect(dialog).toHaveCount(0);
    // The success is said where the owner is looking, and focus is back on the row's Actions.
    await expect(owner.getByRole("status").filter({ hasText: name })).toBeVisible();
    await expect(owner.getByLabel(`Actions for ${name}`)).toBeFocused();
    await expectBackInOwnView(admin, why);
  }
});

const screens: { path: string; who: string; key: string }[] = [
  { path: "/sign-in", who: "", key: "Sign in" },
  { path: "/account", who: "member", key: "Your account" },
  { path: "/projects", who: "member", key: "Create project" },
  { path: "/profile", who: "member", key: "Save profile" },
  { path: "/payout", who: "member", key: "Save payout details" },
  { path: "/settings/impersonation", who: "member", key: "Enable impersonation" },
  { path: "/settings/sign-in", who: "member", key: "Change password" },
  { path: "/admin/users", who: "owner", key: "Add user" },
  { path: "/admin/activity", who: "owner", key: "Filter" },
  { path: "/admin/impersonators", who: "owner", key: "Grant" },
];

for (const [width, height] of [
  [360, 740],
  [1280, 800],
]) {
  test(`at ${width}×${height} no main screen scrolls sideways, its key control is in view, and axe finds nothing`, async ({ browser }) => {
    // Every main screen in two sizes, each loading its own (debug-sized) wasm files: near the
    // 30-second default on two cores, so three times that.
    test.slow();
    const setup = await (await browser.newContext()).newPage();
    await signIn(setup, "owner@example.com");
    const email = `pia${width}@example.com`;
    const name = `Pia ${width}`;
    const link = await addUser(setup, name, email, "member");
    const member = await setPasswordAndSignIn(browser, link, email, "pias-phone-password");
    await grantConsent(member);
    const visitor = await (await browser.newContext({ viewport: { width, height } })).newPage();
    const phoneMember = await (await browser.newContext({ viewport: { width, height } })).newPage();
    await signIn(phoneMember, email, "pias-phone-password");
    const owner = await (await browser.newContext({ viewport: { width, height } })).newPage();
    await signIn(owner, "owner@example.com");
    const pages: Record<string, Page> = { "": visitor, member: phoneMember, owner };

    for (const screen of screens) {
      const page = pages[screen.who];
      await open(page, screen.path);
      const key = page.getByRole("button", { name: screen.key }).or(page.getByRole("heading", { name: screen.key })).or(page.getByLabel(screen.key)).first();
      await key.scrollIntoViewIfNeeded();
      await expect(key).toBeInViewport();
      const box = (await key.boundingBox())!;
      expect(box.x + box.width, `${screen.key} on ${screen.path}`).toBeLessThanOrEqual(width);
      await expectNoSidewaysScroll(page, `${screen.path} at ${width} px`);
      await expectAccessible(page, `${screen.path} at ${width} px`);
    }

    // The owner acting as the member: the banner and the member's pages fit too.
    await open(owner, "/admin/users");
    if (width < 400) await screenshot(owner, "phone-users");
    // The user list's row actions stay on screen, by the name.
    await open(owner, `/admin/users?q=${email}`);
    const actions = owner.getByLabel(`Actions for ${name}`);
    await expect(actions).toBeInViewport();
    expect((await actions.boundingBox())!.x + 10).toBeLessThanOrEqual(width);
    await impersonate(owner, name, "TICKET-8400 phone check");
    for (const path of ["/account", "/projects"]) {
      await open(owner, path);
      await expect(owner.getByRole("button", { name: "Exit impersonation" })).toBeInViewport();
      await expectNoSidewaysScroll(owner, `${path} while acting at ${width} px`);
      await expectAccessible(owner, `${path} while acting at ${width} px`);
    }
    if (width < 400) await screenshot(owner, "phone-banner");
    await owner.getByRole("button", { name: "Exit impersonation" }).click();
    await expectBackInOwnView(owner, "You exited the impersonation session.");
    await expectAccessible(owner, `the user list with its notice at ${width} px`);

    // On a phone the navigation folds behind Menu.
    const nav = owner.getByRole("navigation", { name: "Main" });
    const menu = owner.getByRole("button", { name: "Menu" });
    if (width < 400) {
      await expect(nav).toBeHidden();
      await menu.click();
      await expect(menu).toHaveAttribute("aria-expanded", "true");
      await expect(nav.getByRole("link", { name: "Activity" })).toBeInViewport();
      await expectAccessible(owner, "the open menu on a phone");
    } else {
      await expect(menu).toBeHidden();
      await expect(nav).toBeVisible();
    }
  });
}

test("dark mode follows the system: every main screen passes axe, and the banner stays unmistakable", async ({ browser }) => {
  // Every main screen, each loading its own (debug-sized) wasm files (see above).
  test.slow();
  const setup = await (await browser.newContext()).newPage();
  await signIn(setup, "owner@example.com");
  const link = await addUser(setup, "Dora Dark", "dora@example.com", "member");
  const member = await setPasswordAndSignIn(browser, link, "dora@example.com", "doras-dark-password");
  await grantConsent(member);

  const dark = { colorScheme: "dark" as const, viewport: { width: 1280, height: 800 } };
  const darkMember = await (await browser.newContext(dark)).newPage();
  await signIn(darkMember, "dora@example.com", "doras-dark-password");
  for (const path of ["/account", "/projects", "/settings/impersonation", "/settings/sign-in"]) {
    await open(darkMember, path);
    await expectAccessible(darkMember, `${path} in dark mode`);
  }
  const owner = await (await browser.newContext(dark)).newPage();
  await signIn(owner, "owner@example.com");
  for (const path of ["/admin/users", "/admin/activity", "/admin/impersonators"]) {
    await open(owner, path);
    await expectAccessible(owner, `${path} in dark mode`);
  }
  await screenshot(owner, "dark-users");
  await impersonate(owner, "Dora Dark", "TICKET-8500 dark mode");
  const banner = owner.getByRole("region", { name: "Impersonation" });
  await expect(banner).toHaveCSS("background-color", "rgb(194, 87, 12)");
  await expectAccessible(owner, "the banner in dark mode");
  // Focus shows on the banner too: a white ring around its button.
  await banner.getByRole("button", { name: "Exit impersonation" }).focus();
  await owner.keyboard.press("Shift+Tab");
  await owner.keyboard.press("Tab");
  await expect(banner.getByRole("button", { name: "Exit impersonation" })).toHaveCSS("outline-color", "rgb(255, 255, 255)");
  await screenshot(owner, "dark-banner");
});

test("the browser's files are named by their content and cached for a year", async ({ page }) => {
  const html = await (await page.request.get("/sign-in")).text();
  const files = new Set([...html.matchAll(/\/pkg\/actas\.[\w-]+\.(?:wasm|js|css)/g)].map((m) => m[0]));
  expect([...files].map((file) => file.split(".").pop()).sort()).toEqual(["css", "js", "wasm"]);
  for (const file of files) {
    const response = await page.request.get(file);
    expect(response.status(), file).toBe(200);
    expect(response.headers()["cache-control"], file).toBe("public, max-age=31536000, immutable");
  }
  // A page itself is never cached that way.
  expect((await page.request.get("/sign-in")).headers()["cache-control"] ?? "").not.toContain("immutable");
});

test("every page, the administrators' too, names the same one browser file, named by its content and cached alike", async ({ page }) => {
  const filesIn = (html: string) => [...new Set([...html.matchAll(/\/pkg\/[\w.-]+\.(?:wasm|js)/g)].map((m) => m[0]))].sort();
  const signInFiles = filesIn(await (await page.request.get("/sign-in")).text());
  expect(signInFiles.filter((file) => file.endsWith(".wasm"))).toHaveLength(1);
  // Sam is never acting as anyone (not on the allow-list), so the page is his own user list.
  await signIn(page, "sam@example.com");
  // Also when many pages render at once (leptos once read another request's context here:
  // server/src/request_owner.rs).
  const pages = await Promise.all(
    Array.from({ length: 24 }, async () => (await page.request.get("/admin/users")).text()),
  );
  for (const html of pages) expect(filesIn(html)).toEqual(signInFiles);
  for (const file of signInFiles) {
    expect(file, "named by its content").toMatch(/\.[\w-]{22}\.(?:wasm|js)$/);
    const response = await page.request.get(file);
    expect(response.status(), file).toBe(200);
    expect(response.headers()["content-type"], file).toBe(file.endsWith(".wasm") ? "application/wasm" : "text/javascript");
    expect(response.headers()["cache-control"], file).toBe("public, max-age=31536000, immutable");
  }
});
