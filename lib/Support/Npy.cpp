// Npy.cpp (skeleton)
