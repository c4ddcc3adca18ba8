// JitRunner.cpp (skeleton)
