import { type ProblemTypeDocumentation, ProblemTypes } from "@shop/domain"

/**
 * The pages behind the problem `type` URIs: `GET /problems` lists every problem type, `GET /problems/<slug>`
 * documents one (when it is sent, its members, what a client does about it). Plain HTML without script or style,
 * built once from the problem catalog of the contract.
 */

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" })[c]!)

/** Inline code spans of the prose (`like this`) as <code>. */
const prose = (text: string) => escapeHtml(text).replace(/`([^`]+)`/g, "<code>$1</code>")

const page = (title: string, body: string) =>
  `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)} - Shop Mesh API</title>` +
  `<meta name="viewport" content="width=device-width, initial-scale=1"></head>\n<body><main>\n${body}\n` +
  `<p><a href="/problems">All problem types</a> · <a href="/docs">API reference</a> · ` +
  `<a href="/openapi.json">OpenAPI document</a></p>\n</main></body></html>\n`

const members = (problem: ProblemTypeDocumentation) =>
  problem.members.length === 0
    ? "<p>No members beyond <code>type</code>, <code>title</code>, <code>status</code>, <code>detail</code> and " +
      "<code>instance</code>.</p>"
    : `<ul>${
      problem.members.map((member) =>
        `<li><code>${escapeHtml(member.name)}</code>${member.optional ? " (optional)" : ""}</li>`
      ).join("")
    }</ul>`

/** The page of one problem type. */
export const problemPage = (problem: ProblemTypeDocumentation): string =>
  page(
    problem.title,
    `<h1 id="${problem.slug}">${escapeHtml(problem.title)}</h1>\n` +
      `<p>Type <code>${escapeHtml(problem.type)}</code>, status <strong>${problem.status}</strong>, sent as ` +
      "<code>application/problem+json</code> (RFC 9457).</p>\n" +
      `<h2>When</h2>\n<p>${prose(problem.when)}</p>\n` +
      `<h2>Members</h2>\n${members(problem)}\n` +
      `<h2>What to do</h2>\n<p>${prose(problem.remedy)}</p>`
  )

/** The index of every problem type. */
export const problemIndexPage = (): string =>
  page(
    "Problem types",
    "<h1>Problem types</h1>\n<p>Every 4xx and 5xx answer of the Shop Mesh API is an RFC 9457 problem " +
      "(<code>application/problem+json</code>) whose <code>type</code> is one of these pages. " +
      "<code>about:blank</code> is a bare HTTP status: its <code>title</code> is the status text, and a request " +
      "that fails the schema (400) lists each invalid value in <code>errors</code>.</p>\n<table>" +
      "<thead><tr><th>status</th><th>type</th><th>title</th></tr></thead><tbody>" +
      ProblemTypes.map((problem) =>
        `<tr><td>${problem.status}</td><td><a href="${escapeHtml(problem.type)}"><code>` +
        `${escapeHtml(problem.type)}</code></a></td><td>${escapeHtml(problem.title)}</td></tr>`
      ).join("") +
      "</tbody></table>"
  )
