// Evaluates a batch of IAM requests with @cloud-copilot/iam-simulate, which evaluates Condition
// blocks and policy variables (moto does not). One process for the whole batch.
// stdin:  {"roles": {"<key>": {"principal": "...", "policies": [{"name", "policy"}]}},
//          "requests": [{"role", "action", "resource", "context": {...}}]}
// stdout: [{"result": "Allowed" | "ImplicitlyDenied" | "ExplicitlyDenied" | "Error",
//           "allowedBy": ["<sid>"], "nearMisses": [{"sid", "failed": [...]}], "error": "..."}]
import { getGrantReasons, runSimulation } from '@cloud-copilot/iam-simulate'

const ACCOUNT = '123456789012'

const readStdin = async () => {
  const chunks = []
  for await (const chunk of process.stdin) chunks.push(chunk)
  return JSON.parse(Buffer.concat(chunks).toString('utf8'))
}

// Statements that allow the action but fail on the resource or a condition: what to fix.
const nearMisses = (analysis) =>
  (analysis.identityAnalysis?.unmatchedStatements ?? [])
    .filter((s) => s.statement.isAllow() && s.actionMatch)
    .map((s) => ({
      sid: s.statement.sid() ?? `statement ${s.statement.index()}`,
      failed: [
        ...(s.resourceMatch ? [] : ['Resource']),
        ...(s.conditionMatch === 'Match' ? [] : ['Condition']),
      ],
    }))

const evaluate = async (roles, request) => {
  const role = roles[request.role]
  const simulation = {
    request: {
      principal: role.principal,
      action: request.action,
      resource: { resource: request.resource, accountId: ACCOUNT },
      contextVariables: request.context,
    },
    identityPolicies: role.policies,
    serviceControlPolicies: [],
    resourceControlPolicies: [],
  }
  const outcome = await runSimulation(simulation, { simulationMode: 'Strict' })
  if (outcome.resultType === 'error') {
    return { result: 'Error', error: JSON.stringify(outcome.errors) }
  }
  const analysis = outcome.resultType === 'single' ? outcome.result.analysis : outcome.results[0]?.analysis
  return {
    result: outcome.overallResult,
    allowedBy: analysis ? getGrantReasons(analysis).map((g) => g.statementId ?? `statement ${g.statementIndex}`) : [],
    nearMisses: analysis && outcome.overallResult !== 'Allowed' ? nearMisses(analysis) : [],
  }
}

const { roles, requests } = await readStdin()
const results = []
for (const request of requests) results.push(await evaluate(roles, request))
process.stdout.write(JSON.stringify(results))
