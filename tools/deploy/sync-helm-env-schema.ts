/**
 * Rewrites the chart's `env.<group>` schema (values.schema.json) and the empty groups in values.yaml
 * from .env.example's sections, so a variable added there can be set through Helm at once. The
 * helm-values test fails until this has run: `npm run helm:env-schema`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { envExampleSections, envGroupKey, HELM_MODELED_VARIABLES } from './deploy-files';

const chart = new URL('../../deploy/helm/ztp-onboarding/', import.meta.url).pathname;
const schemaPath = `${chart}values.schema.json`;
const valuesPath = `${chart}values.yaml`;

const schema = JSON.parse(readFileSync(schemaPath, 'utf8')) as {
  properties: { env: { properties: Record<string, unknown> } };
};
const sections = envExampleSections();
schema.properties.env.properties = Object.fromEntries(
  sections.map((section) => [
    envGroupKey(section.title),
    {
      type: 'object',
      additionalProperties: false,
      properties: Object.fromEntries(
        section.variables
          .filter((variable) => !HELM_MODELED_VARIABLES.has(variable))
          .map((variable) => [variable, { type: ['string', 'number', 'boolean'] }]),
      ),
    },
  ]),
);
writeFileSync(schemaPath, `${JSON.stringify(schema, null, 2)}\n`);

// values.yaml: the `env:` block is one `  <group>: {}` line per section, up to the next blank line.
const values = readFileSync(valuesPath, 'utf8');
const groups = sections.map((section) => `  ${envGroupKey(section.title)}: {}`).join('\n');
writeFileSync(valuesPath, values.replace(/^env:\n(?: {2}\w+: \{\}\n)+/m, `env:\n${groups}\n`));
console.log(`env groups: ${sections.map((s) => envGroupKey(s.title)).join(', ')}`);
