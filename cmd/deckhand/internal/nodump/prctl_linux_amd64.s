//go:build !cgo

#include "textflag.h"

// func setNonDumpable() uintptr
// prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); returns the errno, 0 on success.
TEXT ·setNonDumpable(SB),NOSPLIT,$0-8
	MOVQ	$157, AX // SYS_prctl
	MOVQ	$4, DI   // PR_SET_DUMPABLE
	MOVQ	$0, SI
	MOVQ	$0, DX
	MOVQ	$0, R10
	MOVQ	$0, R8
	SYSCALL
	NEGQ	AX       // -errno on failure, 0 on success
	MOVQ	AX, ret+0(FP)
	RET
