package workload

import "testing"

func TestDefaultTreeCountsGoWorkflowsBenchTree(t *testing.T) {
	// Root, 2 mids, 4 mids, 8 leaves; 16 activities.
	if got := DefaultTree.Instances(); got != 15 {
		t.Fatalf("instances = %d, want 15", got)
	}
	if got := DefaultTree.Leaves() * DefaultTree.Activities; got != 16 {
		t.Fatalf("activities = %d, want 16", got)
	}
}

func TestCheckGreetings(t *testing.T) {
	out := make([]string, len(Cities))
	for i, city := range Cities {
		out[i] = Hello(city)
	}
	if err := CheckGreetings(out); err != nil {
		t.Fatal(err)
	}
	out[2] = "Hello"
	if err := CheckGreetings(out); err == nil {
		t.Fatal("a wrong greeting passed")
	}
	if err := CheckGreetings(out[:4]); err == nil {
		t.Fatal("a missing greeting passed")
	}
}
