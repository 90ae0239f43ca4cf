//go:build !race

#include "textflag.h"

// func lockedAdd()
TEXT ·lockedAdd(SB), NOSPLIT|NOFRAME, $0-0
	LOCK
	ORL	$0, (SP)
	RET
