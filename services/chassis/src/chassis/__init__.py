"""What every iCMS service shares. Importing it does nothing; processes wire it in `bootstrap`."""
