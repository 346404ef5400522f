import { test, expect, Browser, Page } from "@playwright/test";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { emptyDatabase, emptyPort, peopleBase } from "../playwright.config";
import {
  addUser,
  grantConsent,
  impersonate,
  open,
  screenshot,
  setPasswordAndSignIn,
  signIn,
} from "./helpers";

// People come and go here: on an instance of their own, so the other files' demo accounts
// and user counts stay as they expect.
test.use({ baseURL: peopleBase });

test("an owner adds a user, who opens the link in another browser, sets a password and signs in", async ({ browser }) => {
  const owner = await (await browser.newContext()).newPage();
  await signIn(owner, "owner@example.com");
  const link = await addUser(owner, "Nina New", "nina@example.com", "member");
  const row = owner.getByRole("row", { name: /Nina New/ });
  await expect(row).toContainText("nina@example.com");
  await expect(row).toContainText("Member");
  await screenshot(owner, "people");

  const nina = await setPasswordAndSignIn(browser, link, "nina@example.com", "ninas-first-password");
  await expect(nina).toHaveURL(/\/account$/);
  await expect(nina.getByRole("banner")).toContainText("Nina New");

  // The link worked once.
  const again = await (await browser.newContext()).newPage();
  await again.goto(link);
  await expect(again.getByRole("alert")).toHaveText("This link has already been used. Ask an owner for a new one.");
});

test("a member changes their password, and their other browser is signed out", async ({ browser }) => {
  const owner = await (await browser.newContext()).newPage();
  await signIn(owner, "owner@example.com");
  const link = await addUser(owner, "Pat Member", "pat@example.com", "member");
  const laptop = await setPasswordAndSignIn(browser, link, "pat@example.com", "pats-first-password");
  const phone = await (await browser.newContext()).newPage();
  await signIn(phone, "pat@example.com", "pats-first-password");

  await open(laptop, "/settings/sign-in");
  const signedIn = laptop.getByRole("region", { name: "Where you're signed in" });
  await expect(signedIn.getByRole("row")).toHaveCount(3); // a header and two sign-ins
  await expect(signedIn).toContainText("This browser");
  const form = laptop.getByRole("region", { name: "Change password" });
  await form.getByLabel("Current password").fill("pats-first-password");
  await form.getByLabel("New password", { exact: true }).fill("pats-second-password");
  await form.getByLabel("Repeat new password").fill("pats-second-password");
  await form.getByRole("button", { name: "Change password" }).click();
  await expect(form.getByRole("status")).toHaveText("Password changed. Your 1 other sign-in was ended.");
  await expect(signedIn.getByRole("row")).toHaveCount(2);
  await screenshot(laptop, "sign-in-settings");

  await phone.reload();
  await expect(phone).toHaveURL(/\/sign-in/);
  await open(laptop, "/account");
  await expect(laptop.getByRole("banner")).toContainText("Pat Member");
});

test("an administrator acting as a member cannot open the member's sign-in settings", async ({ browser }) => {
  const member = await (await browser.newContext()).newPage();
  await signIn(member, "mia@example.com");
  await grantConsent(member);
  const admin = await (await browser.newContext()).newPage();
  await signIn(admin, "ada@example.com");
  await impersonate(admin, "Mia Member", "TICKET-6001 sign-in trouble");
  await expect(admin.getByRole("navigation", { name: "Main" })).not.toContainText("Sign-in settings");
  await open(admin, "/settings/sign-in");
  await expect(admin.getByRole("heading", { name: "Not allowed" })).toBeVisible();
  await expect(admin.getByText("Not allowed during impersonation")).toBeVisible();
  await expect(admin.getByLabel("Current password")).toHaveCount(0);
  await admin.getByRole("button", { name: "Exit impersonation" }).click();
  await expect(admin).toHaveURL(/\/admin\/users/);
});

test("an owner demotes an administrator while she acts: her banner goes within 2 seconds, saying why", async ({ browser }) => {
  const owner = await (await browser.newContext()).newPage();
  await signIn(owner, "owner@example.com");
  const link = await addUser(owner, "Ivy Admin", "ivy@example.com", "admin");
  await open(owner, "/admin/impersonators");
  await owner.getByLabel("Staff account").selectOption({ label: "Ivy Admin (ivy@example.com)" });
  await owner.getByRole("button", { name: "Grant" }).click();
  await expect(owner.getByRole("row", { name: /Ivy Admin/ })).toBeVisible();

  const member = await (await browser.newContext()).newPage();
  await signIn(member, "max@example.com");
  await grantConsent(member);
  const ivy = await setPasswordAndSignIn(browser, link, "ivy@example.com", "ivys-first-password");
  await impersonate(ivy, "Max Member", "TICKET-6002 invoice question");

  await open(owner, "/admin/users");
  const row = owner.getByRole("row", { name: /Ivy Admin/ });
  await row.getByLabel("Actions for Ivy Admin").click();
  await row.getByRole("button", { name: "Change role" }).click();
  const dialog = owner.getByRole("dialog", { name: "Change role" });
  await dialog.getByLabel("New role").selectOption("member");
  const demoted = Date.now();
  await dialog.getByRole("button", { name: "Change role" }).click();
  await expect(dialog).toBeHidden();

  await expect(ivy.getByRole("region", { name: "Impersonation" })).toBeHidden({ timeout: 2_000 });
  // Now a member herself, she is told why, and nothing of Max's stays on screen.
  await expect(ivy.getByRole("status").filter({ hasText: "Impersonation session ended" })).toContainText(
    "Your permission to impersonate was removed.",
  );
  await expect(ivy.getByText("You are impersonating")).toHaveCount(0);
  console.log(`demotion to banner gone: ${Date.now() - demoted} ms`);
  await expect(owner.getByRole("row", { name: /Ivy Admin/ })).toContainText("Member");
});

test("a first owner made with create-owner on an empty database signs in", async ({ browser }) => {
  const { stdout } = await promisify(execFile)(
    "target/debug/actas",
    ["create-owner", "--email", "first@example.com", "--name", "First Owner"],
    {
      cwd: "..",
      env: { ...process.env, DATABASE_URL: emptyDatabase, ACTAS_ADDR: `127.0.0.1:${emptyPort}`, RUST_LOG: "warn" },
    },
  );
  const link = stdout.match(/http:\/\/\S+\/set-password\?token=[0-9a-f]{64}/)?.[0];
  expect(link, stdout).toBeTruthy();
  const owner = await setPasswordAndSignIn(browser, link!, "first@example.com", "first-owner-password");
  await expect(owner).toHaveURL(new RegExp(`127.0.0.1:${emptyPort}/admin/users$`));
  await expect(owner.getByRole("row", { name: /First Owner/ })).toContainText("Owner");
});
