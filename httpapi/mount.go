package httpapi

import (
	"net/http"

	"github.com/godurable/durable"
	"github.com/godurable/durable/dashboard"
)

// DashboardPath is where Mount serves the dashboard.
const DashboardPath = "/dashboard/"

// Mount serves, on mux, the management API for the runtime behind c (under BasePath
// and StarterPath, as New) and the dashboard (under DashboardPath), which reads that
// API from the same origin: what `durable serve` serves, in a service of its own. It
// returns the API's handler.
func Mount(mux *http.ServeMux, c *durable.Client, opts Options) http.Handler {
	api := New(c, opts)
	mux.Handle(BasePath+"/", api)
	mux.Handle(StarterPath+"/", api)
	mux.Handle(DashboardPath, http.StripPrefix(DashboardPath[:len(DashboardPath)-1], dashboard.Handler()))
	return api
}
