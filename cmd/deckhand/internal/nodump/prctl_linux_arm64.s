//go:build !cgo

#include "textflag.h"

// func setNonDumpable() uintptr
// prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); returns the errno, 0 on success.
TEXT ·setNonDumpable(SB),NOSPLIT,$0-8
	MOVD	$4, R0 // PR_SET_DUMPABLE
	MOVD	$0, R1
	MOVD	$0, R2
	MOVD	$0, R3
	MOVD	$0, R4
	MOVD	$167, R8 // SYS_prctl
	SVC
	NEG	R0, R0 // -errno on failure, 0 on success
	MOVD	R0, ret+0(FP)
	RET
