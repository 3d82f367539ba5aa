package httpapi_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/godurable/durable/httpapi"
)

// A Go service mounts the API beside its own routes, at the two prefixes it serves
// (without stripping them). The shared test runtime stands in for
// durable.Open(durable.Config{Dir: "./data"}) with registered orchestrators: one actor
// system per process.
func ExampleNew() {
	api := httpapi.New(rt.Client(), httpapi.Options{
		// APIKey: os.Getenv("DURABLE_API_KEY"), // require ?code=KEY or x-functions-key
	})
	mux := http.NewServeMux()
	mux.Handle(httpapi.BasePath+"/", api)    // management: /runtime/webhooks/durabletask/...
	mux.Handle(httpapi.StarterPath+"/", api) // starter: POST /api/orchestrators/{name}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "ok") })

	server := httptest.NewServer(mux) // http.ListenAndServe(":7071", mux) in a real service
	defer server.Close()

	// Start Echo and wait up to 10 s for its output.
	resp, err := http.Post(server.URL+"/api/orchestrators/Echo?timeout=10&pollingInterval=1",
		"application/json", strings.NewReader(`{"hello":"world"}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(out))
	// Output: 200 {"hello":"world"}
}

// Mount puts the management API and the dashboard on a service's mux in one call.
func ExampleMount() {
	mux := http.NewServeMux()
	httpapi.Mount(mux, rt.Client(), httpapi.Options{})
	server := httptest.NewServer(mux)
	defer server.Close()

	for _, path := range []string{"/dashboard/", httpapi.BasePath + "/instances?top=1"} {
		resp, err := http.Get(server.URL + path)
		if err != nil {
			fmt.Println(err)
			return
		}
		resp.Body.Close()
		fmt.Println(path, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	// Output:
	// /dashboard/ 200 text/html; charset=utf-8
	// /runtime/webhooks/durabletask/instances?top=1 200 application/json; charset=utf-8
}
