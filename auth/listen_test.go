package auth

import (
	"context"
	"errors"
	"net"
	"os"
	"syscall"
	"testing"

	"go.uber.org/zap"
)

// A failure other than "address in use" while retrying a busy port is
// reported as it is, not as ErrPortInUse.
func TestBindCallbackReportsRealError(t *testing.T) {
	port := freePort(t) // nothing answers the polite cancel
	calls := 0
	listen := func(ctx context.Context, network, addr string) (net.Listener, error) {
		calls++
		if calls == 1 {
			return nil, &net.OpError{Op: "listen", Net: network, Err: os.NewSyscallError("bind", syscall.EADDRINUSE)}
		}
		return nil, &net.OpError{Op: "listen", Net: network, Err: os.NewSyscallError("bind", syscall.EACCES)}
	}
	_, err := bindCallback(context.Background(), port, zap.NewNop(), listen)
	if errors.Is(err, ErrPortInUse) || !errors.Is(err, syscall.EACCES) {
		t.Errorf("err = %v, want the EACCES and not ErrPortInUse", err)
	}
	if calls != 2 {
		t.Errorf("%d listen calls, want 2", calls)
	}

	calls = 0
	always := func(ctx context.Context, network, addr string) (net.Listener, error) {
		calls++
		return nil, &net.OpError{Op: "listen", Net: network, Err: os.NewSyscallError("bind", syscall.EADDRINUSE)}
	}
	if _, err := bindCallback(context.Background(), port, zap.NewNop(), always); !errors.Is(err, ErrPortInUse) {
		t.Errorf("always busy: err = %v, want ErrPortInUse", err)
	}
}
