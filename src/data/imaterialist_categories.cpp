// The iMaterialist (Fashion) 2019 category table, beside the reader of its files: the ids and
// names of label_descriptions.json, used where no such file is at hand (the synthetic
// dataset, the ids of a Kaggle submission).
#include "fashionseg/data/imaterialist.h"

namespace fashionseg {

const std::vector<Category>& imaterialist_categories() {
  static const std::vector<Category> categories = {
      {0, "shirt, blouse", "upperbody"},
      {1, "top, t-shirt, sweatshirt", "upperbody"},
      {2, "sweater", "upperbody"},
      {3, "cardigan", "upperbody"},
      {4, "jacket", "upperbody"},
      {5, "vest", "upperbody"},
      {6, "pants", "lowerbody"},
      {7, "shorts", "lowerbody"},
      {8, "skirt", "lowerbody"},
      {9, "coat", "wholebody"},
      {10, "dress", "wholebody"},
      {11, "jumpsuit", "wholebody"},
      {12, "cape", "wholebody"},
      {13, "glasses", "head"},
      {14, "hat", "head"},
      {15, "headband, head covering, hair accessory", "head"},
      {16, "tie", "neck"},
      {17, "glove", "arms and hands"},
      {18, "watch", "arms and hands"},
      {19, "belt", "waist"},
      {20, "leg warmer", "legs and feet"},
      {21, "tights, stockings", "legs and feet"},
      {22, "sock", "legs and feet"},
      {23, "shoe", "legs and feet"},
      {24, "bag, wallet", "others"},
      {25, "scarf", "others"},
      {26, "umbrella", "others"},
      {27, "hood", "garment parts"},
      {28, "collar", "garment parts"},
      {29, "lapel", "garment parts"},
      {30, "epaulette", "garment parts"},
      {31, "sleeve", "garment parts"},
      {32, "pocket", "garment parts"},
      {33, "neckline", "garment parts"},
      {34, "buckle", "closures"},
      {35, "zipper", "closures"},
      {36, "applique", "decorations"},
      {37, "bead", "decorations"},
      {38, "bow", "decorations"},
      {39, "flower", "decorations"},
      {40, "fringe", "decorations"},
      {41, "ribbon", "decorations"},
      {42, "rivet", "decorations"},
      {43, "ruffle", "decorations"},
      {44, "sequin", "decorations"},
      {45, "tassel", "decorations"},
  };
  return categories;
}

}  // namespace fashionseg
