// The Durable Task JavaScript SDK, as a program written with it would use it, against
// the runtime's sidecar server at DURABLE_GRPC (run by js_test.go, which starts the
// server and asserts what this prints). Each case prints one JSON line on stdout,
// {"case": name, ...what it saw}; the Go test holds the expectations, so that a
// failure shows what the SDK actually got. The SDK's own log goes to stderr.
import {
  TaskHubGrpcClient,
  TaskHubGrpcWorker,
  OrchestrationStatus,
  whenAll,
} from "@microsoft/durabletask-js";

const address = process.env.DURABLE_GRPC;
if (!address) {
  throw new Error("DURABLE_GRPC (the sidecar's host:port) is not set");
}
// Seconds each of the SDK's waits may take: far more than any case needs.
const wait = 30;

const logger = {
  error: (msg, ...args) => console.error("sdk error:", msg, ...args),
  warn: (msg, ...args) => console.error("sdk warn:", msg, ...args),
  info: () => {},
  debug: () => {},
};

function report(name, fields) {
  process.stdout.write(JSON.stringify({ case: name, ...fields }) + "\n");
}

// seen is what a case reports of an instance's state.
function seen(state) {
  if (state === undefined) {
    return { exists: false };
  }
  const out = {
    exists: true,
    name: state.name,
    status: OrchestrationStatus[state.runtimeStatus],
    input: state.serializedInput ?? null,
    output: state.serializedOutput ?? null,
  };
  if (state.failureDetails) {
    out.failure = { type: state.failureDetails.errorType, message: state.failureDetails.message };
  }
  return out;
}

// Activities and orchestrations of the JS worker.

// RemoteHello is called by the runtime's Go orchestration Mixed.
async function remoteHello(_ctx, name) {
  return `Hello from JS, ${name}`;
}

async function jsHello(_ctx, name) {
  return `Hi ${name} from JS`;
}

function square(_ctx, n) {
  return n * n;
}

async function outOfStock(_ctx, item) {
  throw new Error(`out of stock: ${item}`);
}

// Orchestrations are async generator functions: the SDK takes what a plain generator
// function returns (the generator itself) as the orchestration's output.

// JsChain calls the runtime's Go activity Hello, a JS activity and a durable timer,
// then tells the instance `watcher` (the Go orchestration Approval) that it waits for
// "approve", and waits for it: once the watcher completes, the chain is waiting, so
// the event the client raises then reaches a waiting orchestration.
async function* jsChain(ctx, { name, watcher }) {
  const local = yield ctx.callActivity("Hello", name);
  const remote = yield ctx.callActivity("JsHello", name);
  yield ctx.createTimer(0.2);
  ctx.sendEvent(watcher, "approve", "waiting");
  const approval = yield ctx.waitForExternalEvent("approve");
  return [local, remote, approval];
}

async function* jsFanOut(ctx, n) {
  const tasks = [];
  for (let i = 0; i < n; i++) {
    tasks.push(ctx.callActivity("Square", i));
  }
  const squares = yield whenAll(tasks);
  return squares.reduce((a, b) => a + b, 0);
}

async function* jsFails(ctx, item) {
  return yield ctx.callActivity("OutOfStock", item);
}

const worker = new TaskHubGrpcWorker({ hostAddress: address, logger });
worker.addNamedActivity("RemoteHello", remoteHello);
worker.addNamedActivity("JsHello", jsHello);
worker.addNamedActivity("Square", square);
worker.addNamedActivity("OutOfStock", outOfStock);
worker.addNamedOrchestrator("JsChain", jsChain);
worker.addNamedOrchestrator("JsFanOut", jsFanOut);
worker.addNamedOrchestrator("JsFails", jsFails);
await worker.start();

const client = new TaskHubGrpcClient({ hostAddress: address, logger });

// The cases, each reporting what it saw.
const cases = {
  // The client on the runtime's Go orchestrations: start and wait, an event to one
  // waiting for it, terminate, read, query and purge.
  async "go-greet"() {
    const id = await client.scheduleNewOrchestration("Greet", "JS");
    return seen(await client.waitForOrchestrationCompletion(id, true, wait));
  },
  async "go-approval"() {
    const id = await client.scheduleNewOrchestration("Approval", undefined, "js-approval-1");
    const started = await client.waitForOrchestrationStart(id, false, wait);
    await client.raiseOrchestrationEvent(id, "approve", "yes from JS");
    return { id, started: seen(started).status, ...seen(await client.waitForOrchestrationCompletion(id, true, wait)) };
  },
  async "go-terminate-purge"() {
    const id = await client.scheduleNewOrchestration("Approval", undefined, "js-terminate-1");
    await client.waitForOrchestrationStart(id, false, wait);
    await client.terminateOrchestration(id, "nobody came");
    const ended = seen(await client.waitForOrchestrationCompletion(id, true, wait));
    const read = seen(await client.getOrchestrationState(id, true));
    const listed = [];
    for await (const st of client.getAllInstances({ instanceIdPrefix: "js-terminate-", statuses: [OrchestrationStatus.TERMINATED] })) {
      listed.push({ id: st.instanceId, status: OrchestrationStatus[st.runtimeStatus] });
    }
    const purged = await client.purgeOrchestration(id);
    const after = seen(await client.getOrchestrationState(id));
    const again = await client.purgeOrchestration(id);
    return {
      ended, read, listed,
      purged: purged?.deletedInstanceCount, after, purgedAgain: again?.deletedInstanceCount,
    };
  },
  async "go-unknown"() {
    return seen(await client.getOrchestrationState("js-never-started"));
  },
  // The JS worker's orchestration across Go and JS code, an event raised once it waits.
  async "js-chain"() {
    const watcher = await client.scheduleNewOrchestration("Approval", undefined, "js-chain-watcher");
    const id = await client.scheduleNewOrchestration("JsChain", { name: "Lima", watcher }, "js-chain-1");
    const told = seen(await client.waitForOrchestrationCompletion(watcher, true, wait));
    await client.raiseOrchestrationEvent(id, "approve", "approved");
    return { told, ...seen(await client.waitForOrchestrationCompletion(id, true, wait)) };
  },
  // The runtime's Go orchestration calling an activity only this worker has.
  async "go-mixed"() {
    const id = await client.scheduleNewOrchestration("Mixed", "Oslo", "js-mixed-1");
    return seen(await client.waitForOrchestrationCompletion(id, true, wait));
  },
  async "js-fails"() {
    const id = await client.scheduleNewOrchestration("JsFails", "widgets", "js-fails-1");
    return seen(await client.waitForOrchestrationCompletion(id, true, wait));
  },
  async "js-fan-out"() {
    const n = Number(process.env.FAN_OUT ?? 200);
    const id = await client.scheduleNewOrchestration("JsFanOut", n);
    return { n, ...seen(await client.waitForOrchestrationCompletion(id, true, wait)) };
  },
};

// The cases run one after another, each reporting an error as its outcome, so that
// one failing leaves the others' reports.
for (const [name, run] of Object.entries(cases)) {
  const started = Date.now();
  try {
    report(name, { ...(await run()), ms: Date.now() - started });
  } catch (err) {
    report(name, { error: String(err?.stack ?? err), ms: Date.now() - started });
  }
}
await worker.stop();
await client.stop();
report("done", {});
// A wait that timed out leaves its call open, which would keep node alive.
process.exit(0);
