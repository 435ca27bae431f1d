"""``mx.image.detection``: detection augmenters and ``ImageDetIter`` (MXNet's module path)."""

from gluax._src.image.detection import CreateDetAugmenter as CreateDetAugmenter
from gluax._src.image.detection import CreateMultiRandCropAugmenter as CreateMultiRandCropAugmenter
from gluax._src.image.detection import DetAugmenter as DetAugmenter
from gluax._src.image.detection import DetBorrowAug as DetBorrowAug
from gluax._src.image.detection import DetHorizontalFlipAug as DetHorizontalFlipAug
from gluax._src.image.detection import DetRandomCropAug as DetRandomCropAug
from gluax._src.image.detection import DetRandomPadAug as DetRandomPadAug
from gluax._src.image.detection import DetRandomSelectAug as DetRandomSelectAug
from gluax._src.image.detection import ImageDetIter as ImageDetIter
from gluax._src.image.image import Augmenter as Augmenter
from gluax._src.image.image import CastAug as CastAug
from gluax._src.image.image import ColorJitterAug as ColorJitterAug
from gluax._src.image.image import ColorNormalizeAug as ColorNormalizeAug
from gluax._src.image.image import ForceResizeAug as ForceResizeAug
from gluax._src.image.image import HueJitterAug as HueJitterAug
from gluax._src.image.image import ImageIter as ImageIter
from gluax._src.image.image import LightingAug as LightingAug
from gluax._src.image.image import RandomGrayAug as RandomGrayAug
from gluax._src.image.image import RandomOrderAug as RandomOrderAug
from gluax._src.image.image import ResizeAug as ResizeAug
from gluax._src.image.image import copyMakeBorder as copyMakeBorder
from gluax._src.image.image import fixed_crop as fixed_crop
