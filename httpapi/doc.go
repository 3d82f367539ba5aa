// Package httpapi is the Durable Functions HTTP management API over a durable.Client:
// the webhooks Azure Durable Functions serves under /runtime/webhooks/durabletask, and
// the samples' HTTP starter route POST /api/orchestrators/{name}. It is what
// `durable serve` serves, and what a Go service mounts to be driven by the same tools
// and scripts as a Durable Functions app.
//
// # Mounting
//
// New returns one http.Handler for both path prefixes. It routes on the full path, so
// mount it at the prefixes themselves, without http.StripPrefix:
//
//	api := httpapi.New(rt.Client(), httpapi.Options{APIKey: os.Getenv("DURABLE_API_KEY")})
//	mux := http.NewServeMux()
//	mux.Handle(httpapi.BasePath+"/", api)    // /runtime/webhooks/durabletask/...
//	mux.Handle(httpapi.StarterPath+"/", api) // /api/orchestrators/...
//	http.ListenAndServe(":7071", mux)
//
// # Endpoints
//
// BASE is /runtime/webhooks/durabletask. Path segments are URL-decoded; ids follow the
// runtime's rules (no '/', '\', '#', '?', control characters; instance ids at most 256
// characters and not starting with '@').
//
//	POST   BASE/orchestrators/{name}[/{instanceId}]   start; also POST /api/orchestrators/{name}[/{instanceId}]
//	       body: optional JSON input. 202 + check-status payload, Location, Retry-After: 10.
//	       ?timeout=s&pollingInterval=s (both): wait up to timeout; 200 + raw output when
//	       Completed, 200 + status when it ended otherwise, else the 202.
//	       400 unknown orchestrator, invalid id or JSON; 409 the id is running.
//	GET    BASE/instances/{id}                        status; showHistory, showHistoryOutput,
//	       showInput (true), returnInternalServerErrorOnFailure. 202 + Location (the request
//	       URL) + Retry-After: 5 while Pending, Running, ContinuedAsNew or Suspended; 200
//	       once finished; 500 for Failed if asked; 404 unknown.
//	GET    BASE/instances                             list; createdTimeFrom, createdTimeTo,
//	       runtimeStatus=a,b, instanceIdPrefix, showInput (true), top; paged with the
//	       x-ms-continuation-token header. 200 + array of statuses. Ours: name (the exact
//	       orchestration name), newestFirst (false: by creation time, newest first,
//	       instead of in instance id order; a token serves only the order it came from).
//	       In a cluster, x-durable-unserved-partitions: N says the page misses the
//	       instances of N partitions whose member is away (ours).
//	DELETE BASE/instances/{id}                        purge; 200 {"instancesDeleted":1}; 404; 409 not finished.
//	DELETE BASE/instances                             purge by filter; createdTimeFrom (required),
//	       createdTimeTo (now), runtimeStatus (finished ones); ours: name and
//	       instanceIdPrefix, as the listing takes them. 200 {"instancesDeleted":n}; 404 if none.
//	POST   BASE/instances/{id}/raiseEvent/{eventName} body: JSON event data. 202; 404; 410 finished.
//	POST   BASE/instances/{id}/terminate?reason=      202; 404; 410 finished.
//	POST   BASE/instances/{id}/suspend?reason=        202; 404; 410 finished.
//	POST   BASE/instances/{id}/resume?reason=         202; 404; 410 finished; 409 not suspended.
//	POST   BASE/instances/{id}/rewind?reason=         202; 404; 410 finished other than Failed; 409 not failed.
//	GET    BASE/cluster                               the members and who owns each partition, as the
//	       member asked sees it (ours; the reference API has no clusters). 200.
//	GET    BASE/events                                ours: Server-Sent Events that push a listing's
//	       page (the listing's parameters, continuationToken) or, with instanceId, an
//	       instance's status (the status query's parameters) each time it changes; see
//	       events.go. 503 past Options.MaxEventStreams.
//	POST   BASE/instances/{id}/restart                restartWithNewInstanceId (true). 202 + payload
//	       of the resulting instance; 404; 409 restarting in place while it runs.
//	GET    BASE/entities/{name}/{key}                 200 + the state, as stored; 404 no state.
//	       Ours: ?metadata=true answers the entity as a listing shows it, with its state.
//	POST   BASE/entities/{name}/{key}?op=             signal; body: optional JSON input. 202; 400
//	       no op, bad key or JSON; 404 unknown entity name.
//	DELETE BASE/entities/{name}/{key}                 signals "delete". 202; 404 unknown entity name.
//	GET    BASE/entities[/{name}]                     lastOperationTimeFrom, lastOperationTimeTo,
//	       fetchState (false), top (100), continuation header. 200 +
//	       [{"entityId":{"name","key"},"lastOperationTime","lockedBy"?,"state"?}];
//	       lockedBy (ours) names the orchestration holding the entity locked.
//
// The check-status payload holds id, statusQueryGetUri, sendEventPostUri,
// terminatePostUri, rewindPostUri, purgeHistoryDeleteUri, restartPostUri,
// suspendPostUri and resumePostUri: absolute URLs built from the request (the scheme
// honours X-Forwarded-Proto), with the placeholders {eventName} and {text} for the
// caller to fill in. With an API key configured they also carry code=KEY.
//
// The status is {"name","instanceId","runtimeStatus","input","customStatus","output",
// "createdTime","lastUpdatedTime"}, plus "historyEvents" with showHistory. input and
// output are always present (null when absent, input null with showInput=false);
// output is the result when Completed, the failure details when Failed and the reason
// when Terminated. Times are UTC ISO 8601. The history hides OrchestratorStarted
// markers and shows each task, sub-orchestration, entity call and lock request as one
// event at its completion, with FunctionName, ScheduledTime and Input taken from its
// scheduling; Result appears only with showHistoryOutput. The ExecutionStarted of a
// sub-orchestration names its parent (ParentInstance: Name, OrchestrationInstance
// {InstanceId, ExecutionId}, TaskScheduleId).
//
// The reference's taskHub and connection parameters are accepted and ignored.
//
// # Conventions
//
// Every error is JSON, {"error": code, "message": text}: 400 for malformed parameters,
// JSON or ids, 401 without the API key (Options.APIKey; ?code= or the x-functions-key
// header), 404 for unknown routes, methods, instances and entities, 409 and 410 for
// actions the instance's state does not allow, 413 for bodies over
// Options.MaxBodyBytes or the runtime's payload limit, 415 for bodies declared as
// something other than JSON (application/json, text/json, +json types, or no
// Content-Type), 500 only for server faults, which are logged. A handler panic is
// recovered, logged and answered 500.
//
// Continuation tokens are opaque: send back the x-ms-continuation-token response header
// as the request header of the same name to get the next page; its absence means the
// listing is complete.
package httpapi
