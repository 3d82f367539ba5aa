package httpapi

import "net/http"

// cluster serves GET /cluster: the membership and ownership table as the member that
// answers sees it (an extension of ours; the reference API has no clusters).
func (a *api) cluster(w http.ResponseWriter, r *http.Request) {
	info, err := a.c.Cluster(r.Context())
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, info)
}
