#include <png.h>
// zlib inflates iCCP chunks and computes chunk CRCs, which the png_image API does not expose.
#include <zlib.h>
