package auth

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
)

// unusableError says what is wrong with the openai entry of auth.json. It
// names fields, never their values: a value could be a token or key.
type unusableError struct {
	path string // the auth.json file
	what string // e.g. `has no type`, `has a field "expires" that is not a number`
}

func (e *unusableError) Error() string {
	return "the " + provider + " entry of " + e.path + " " + e.what + ", which deckhand cannot use; log in again"
}

// Is makes errors.Is(err, ErrUnusableEntry) true.
func (e *unusableError) Is(target error) bool { return target == ErrUnusableEntry }

// decodeEntry reads the openai entry leniently: unknown fields are ignored,
// expires may be a number or a string holding one, and only the fields the
// entry's type uses are judged.
func decodeEntry(path string, raw json.RawMessage) (Credential, error) {
	unusable := func(what string) error { return &unusableError{path: path, what: what} }
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return Credential{}, unusable("is not a JSON object")
	}
	str := func(key string) (string, error) {
		v, ok := fields[key]
		if !ok || isNull(v) {
			return "", nil
		}
		var s string
		if json.Unmarshal(v, &s) != nil {
			return "", unusable(`has a field "` + key + `" that is not a string`)
		}
		return s, nil
	}
	typ, err := str("type")
	if err != nil {
		return Credential{}, err
	}
	c := Credential{Type: typ}
	switch typ {
	case "":
		return Credential{}, unusable("has no type")
	case TypeAPI:
		if c.Key, err = str("key"); err != nil {
			return Credential{}, err
		}
		if strings.TrimSpace(c.Key) == "" {
			return Credential{}, unusable("holds no API key")
		}
	case TypeOAuth:
		for _, f := range []struct {
			key string
			dst *string
		}{{"access", &c.Access}, {"refresh", &c.Refresh}, {"accountId", &c.AccountID}} {
			if *f.dst, err = str(f.key); err != nil {
				return Credential{}, err
			}
		}
		ms, ok := epochMillis(fields["expires"])
		if !ok {
			return Credential{}, unusable(`has a field "expires" that is not a number`)
		}
		if ms != 0 {
			c.Expires = time.UnixMilli(ms)
		}
		if c.Access == "" && c.Refresh == "" {
			return Credential{}, unusable("holds neither an access nor a refresh token")
		}
	default:
		if isTypeName(typ) {
			return Credential{}, unusable(`has type "` + typ + `"`)
		}
		return Credential{}, unusable("has an unknown type")
	}
	return c, nil
}

// epochMillis reads expires: absent, null, a number, or a string holding a
// number. ok is false for anything else.
func epochMillis(raw json.RawMessage) (int64, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || isNull(raw) {
		return 0, true
	}
	text := string(raw)
	var s string
	if json.Unmarshal(raw, &s) == nil {
		text = strings.TrimSpace(s)
		if text == "" {
			return 0, true
		}
	} else {
		var n json.Number
		if json.Unmarshal(raw, &n) != nil {
			return 0, false
		}
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1<<62 {
		return 0, false
	}
	return int64(f), true
}

// isTypeName tells a plausible type name, safe to show, from a value that
// could be a secret pasted into the wrong field.
func isTypeName(s string) bool {
	if len(s) > 24 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}
