package sandbox

import (
	"errors"
	"strings"
	"syscall"
	"testing"
)

func TestFromLandlockABI(t *testing.T) {
	cases := []struct {
		abi     int
		err     error
		self    string
		kind    Kind
		network bool
		reason  string
	}{
		{7, nil, "/d", Landlock, true, ""},
		{4, nil, "/d", Landlock, true, ""},
		{3, nil, "/d", Landlock, false, "ABI is 3"},
		{0, syscall.ENOSYS, "/d", None, false, "no Landlock"},
		{0, syscall.EOPNOTSUPP, "/d", None, false, "lsm="},
		{0, errors.New("odd"), "/d", None, false, "odd"},
		{7, nil, "", None, false, "own executable"},
	}
	for _, c := range cases {
		s := fromLandlockABI(c.self, c.abi, c.err)
		if s.Kind != c.kind || s.NetworkClosed != c.network || (c.reason == "") != (s.Reason == "") || !strings.Contains(s.Reason, c.reason) {
			t.Errorf("abi %d err %v self %q: %+v", c.abi, c.err, c.self, s)
		}
		if s.Available() != (c.kind == Landlock) {
			t.Errorf("abi %d err %v: Available %v", c.abi, c.err, s.Available())
		}
	}
}
