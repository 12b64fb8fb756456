        .kernel
start:  FROB eax
